"""The text a starting agent session reads: how coord guards its edits, and who holds what."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from coord_hooks._identity import is_own
from coord_hooks._render import expiry_text
from coord_hooks._wire import HeldClaim as Claim
from coord_protocol.text import printable

MAX_LISTED = 40
"""Claims listed by name; more are counted, so a busy repo does not flood the context."""


def claims_context(claims: Sequence[Claim], engineer: str, session_id: str, now: datetime) -> str:
    """The context added at session start, one fact per line."""
    others = [claim for claim in claims if not is_own(claim.engineer, engineer)]
    lines = [
        f"coord: this session is coord session {session_id}, acting as engineer {engineer}.",
        "Files you edit are claimed for this session automatically and released when it ends.",
        "An edit of a file another engineer holds is refused with the holder and a next step;",
        "check with check_conflicts before planning work on files others may hold.",
    ]
    if not others:
        return "\n".join([*lines, "No other engineer holds an active claim in this repo now."])
    lines.append(f"Active claims of other engineers ({len(others)}):")
    lines += [_line(claim, now) for claim in others[:MAX_LISTED]]
    if len(others) > MAX_LISTED:
        lines.append(f"... and {len(others) - MAX_LISTED} more (list_claims shows them all).")
    return "\n".join(lines)


def _line(claim: Claim, now: datetime) -> str:
    scope = (
        f"{claim.pattern} symbols {', '.join(claim.symbols)}" if claim.symbols else claim.pattern
    )
    shared = " (shared)" if claim.shared else ""
    said = f': "{claim.description}"' if claim.description else ""
    when = expiry_text(claim.expires_at, now)
    # Other engineers wrote these fields; their control characters show as escapes.
    return printable(f"- {scope}{shared}: {claim.engineer}, claim {claim.id}, expires {when}{said}")
