"""The reasons an agent reads when its edit is refused: who holds what, and the next step.

The next steps name coord's MCP tools (`claim_files`, `request_release`) with arguments filled
in, so an agent can act on the refusal without looking anything up. Holders' names and
descriptions were written by other engineers: the reason shows their control characters as
escapes, so none reaches the agent's context as an instruction in disguise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from coord_hooks._render import expiry_text
from coord_hooks._wire import Conflict
from coord_protocol.text import printable

_QUEUE_SECONDS = 300


def file_held(path: str, conflicts: Sequence[Conflict], now: datetime) -> str:
    """Refusal of an edit of `path`, which others hold as a whole or alongside their symbols."""
    first = conflicts[0].conflicting_claim
    return _paragraph([
        f"coord: {path} is claimed by another engineer, so this edit was not made.",
        _holders(conflicts, now),
        "Next step: work on something else, or queue for the file with "
        f"claim_files(patterns={_json([path])}, wait_seconds={_QUEUE_SECONDS}) and edit it "
        "once granted, or ask the holder with "
        f'request_release(claim_id={_json(first.id)}, reason="...").',
    ])  # fmt: skip


def location_unknown(path: str, conflicts: Sequence[Conflict], now: datetime) -> str:
    """Refusal of an edit of `path` whose location could not be matched to one symbol."""
    first = conflicts[0].conflicting_claim
    return _paragraph([
        f"coord: this edit of {path} was not made: another engineer holds symbols of the file, "
        "and the edit could not be matched to a single other symbol (it changes module-level "
        "code or several declarations, or coord cannot parse the language here).",
        _holders(conflicts, now),
        "Next step: if you are changing a different symbol, claim it explicitly with "
        f'claim_files(patterns={_json([path])}, symbols={{{_json(path)}: ["YourSymbol"]}}) '
        "and retry the edit; otherwise ask the holder with "
        f'request_release(claim_id={_json(first.id)}, reason="...").',
    ])  # fmt: skip


def symbols_held(
    path: str, symbols: Sequence[str], conflicts: Sequence[Conflict], now: datetime
) -> str:
    """Refusal of an edit of `symbols` in `path` that others hold."""
    first = conflicts[0].conflicting_claim
    return _paragraph([
        f"coord: this edit changes {', '.join(symbols)} in {path}, which another engineer "
        "holds, so it was not made.",
        _holders(conflicts, now),
        "Next step: change other symbols, or ask the holder with "
        f'request_release(claim_id={_json(first.id)}, reason="...").',
    ])  # fmt: skip


def _paragraph(sentences: Sequence[str]) -> str:
    # One line: Claude Code folds it to the window, and agents read it whole.
    return printable(" ".join(sentences))


def _holders(conflicts: Sequence[Conflict], now: datetime) -> str:
    seen = {c.conflicting_claim.id: c.conflicting_claim for c in conflicts}
    return " ".join(
        f"{held.engineer} holds {_scope(held.pattern, held.symbols)} (claim {held.id}, expires "
        f"{expiry_text(held.expires_at, now)}){_said(held.description)}."
        for held in seen.values()
    )


def _scope(pattern: str, symbols: Sequence[str] | None) -> str:
    return f"symbols {', '.join(symbols)} of {pattern}" if symbols else pattern


def _said(description: str | None) -> str:
    return f': "{description}"' if description else ""


def _json(value: object) -> str:
    return json.dumps(value)
