"""Shell writes attributed: the paths a command changed are claimed for the session (SPEC §16).

The Edit/Write hook never sees `sed -i`, a code generator or `git checkout -- file`. After such
a command the paths it changed are claimed like an edited file: those the session's engineer
already holds are left alone, the free ones are claimed in one batch, and those another engineer
holds are reported back to the agent with who holds them, what the command did to them, and the
next step (revert, ask, or queue). Nothing the command changed goes unmentioned.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from coord_hooks._client import create_claims
from coord_hooks._edit_guard import Editor, own_claims
from coord_hooks._own_claims import covers_file
from coord_hooks._paths import anchored, unanchored
from coord_hooks._render import expiry_text
from coord_hooks._shell_snapshot import ShellChange
from coord_hooks._wire import ClaimAnswer, Conflict
from coord_protocol.text import printable

DESCRIPTION = "claimed automatically by coord-hook when a shell command of this session changed it"
"""What others see on a claim made for a shell write."""

MAX_ITEMS = 1000
"""`POST /claims` takes at most this many items (coord-protocol's `MAX_ITEMS_PER_REQUEST`)."""

MAX_NAMED = 10
"""Files told one by one; more are counted (a generator may write thousands)."""

_QUEUE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Attribution:
    """What became of a command's changes."""

    claimed: tuple[ShellChange, ...] = ()
    """Free paths now claimed for the session."""
    held: tuple[tuple[ShellChange, Conflict], ...] = ()
    """Paths another engineer holds, with the claim in the way."""

    def context(self) -> str | None:
        """The short note for the agent when everything changed is now claimed."""
        if not self.claimed:
            return None
        named = [f"{change.path} ({change.what})" for change in self.claimed[:MAX_NAMED]]
        more = len(self.claimed) - len(named)
        listed = ", ".join(named) + (f" and {more} more file(s)" if more else "")
        return printable(f"coord: this command changed {listed}; claimed for this session.")

    def refusal(self, now: datetime) -> str | None:
        """What the agent must read when the command changed files others hold."""
        if not self.held:
            return None
        shown = self.held[:MAX_NAMED]
        lines = [_held_line(change, conflict, now) for change, conflict in shown]
        if len(self.held) > len(shown):
            rest = [change.path for change, _ in self.held[len(shown) :]]
            named = ", ".join(rest[: MAX_NAMED * 5])
            more = f" and {len(rest) - MAX_NAMED * 5} more" if len(rest) > MAX_NAMED * 5 else ""
            lines.append(f"It also changed these files other engineers hold: {named}{more}.")
        claimed = self.context()
        return printable(" ".join([*lines, *([claimed] if claimed else [])]))


def attribute(editor: Editor, changes: Sequence[ShellChange]) -> Attribution:
    """Claim the changed paths the engineer does not hold yet; name those others hold."""
    own = own_claims(editor)
    wanted = [change for change in changes if not covers_file(own, change.path)]
    claimed: list[ShellChange] = []
    held: list[tuple[ShellChange, Conflict]] = []
    for start in range(0, len(wanted), MAX_ITEMS):
        chunk = wanted[start : start + MAX_ITEMS]
        granted, in_the_way = _claim(editor, chunk)
        claimed += granted
        held += in_the_way
    return Attribution(tuple(claimed), tuple(held))


def _claim(
    editor: Editor, changes: Sequence[ShellChange]
) -> tuple[list[ShellChange], list[tuple[ShellChange, Conflict]]]:
    """One batch; when others hold some, the rest are claimed in a second batch."""
    answer = _request(editor, changes)
    if answer.claim_ids:
        return list(changes), []
    conflicts = {unanchored(c.your_pattern): c for c in answer.conflicts}
    held = [(change, conflicts[change.path]) for change in changes if change.path in conflicts]
    free = [change for change in changes if change.path not in conflicts]
    if not free:
        return [], held
    second = _request(editor, free)
    if second.claim_ids:
        return free, held
    later = {unanchored(c.your_pattern): c for c in second.conflicts}
    held += [(change, later[change.path]) for change in free if change.path in later]
    return [], held


def _request(editor: Editor, changes: Sequence[ShellChange]) -> ClaimAnswer:
    return create_claims(editor.client, {
        "engineer": editor.engineer,
        "claims": [{"pattern": anchored(change.path)} for change in changes],
        "branch": editor.branch,
        "description": DESCRIPTION,
        "repo": editor.repo,
        "session_id": editor.session_id,
    })  # fmt: skip


def _held_line(change: ShellChange, conflict: Conflict, now: datetime) -> str:
    held = conflict.conflicting_claim
    scope = f"symbols {', '.join(held.symbols)} of {held.pattern}" if held.symbols else held.pattern
    said = f': "{held.description}"' if held.description else ""
    return (
        f"coord: this command changed {change.path} ({change.what}), which {held.engineer} "
        f"holds ({scope}, claim {held.id}, expires {expiry_text(held.expires_at, now)}){said}. "
        f"Next step: {_revert(change)}; or ask the holder with "
        f'request_release(claim_id={json.dumps(held.id)}, reason="..."); or queue for it with '
        f"claim_files(patterns={json.dumps([change.path])}, wait_seconds={_QUEUE_SECONDS}) and "
        "redo the change once granted."
    )


def _revert(change: ShellChange) -> str:
    quoted = shlex.quote(change.path)
    if change.before is not None:
        return (
            "undo this command's change to it (it had uncommitted changes before, so do not "
            "reset it to the committed version)"
        )
    if change.after == "??":
        return f"revert it with `rm {quoted}`"
    return f"revert it with `git checkout -- {quoted}`"
