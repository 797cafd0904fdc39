"""The decision behind `coord-hook claude pre-tool-use`: claim the file being edited, or refuse.

The claim request itself is the check: `POST /claims` grants atomically or answers with the
conflicts, so there is no window between checking and claiming. A file the agent already holds
is not claimed again. When every holder in the way holds only symbols, the edit's location is
mapped to symbols and those are claimed instead, so two agents can work on different functions
of one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coord_hooks import _refusals
from coord_hooks._client import create_claims, list_claims
from coord_hooks._edit_scope import SymbolLookup, edited_symbols
from coord_hooks._http import HookClient
from coord_hooks._own_claims import covers_file, covers_symbols
from coord_hooks._paths import anchored, unanchored
from coord_hooks._wire import ClaimAnswer as Answer
from coord_hooks._wire import HeldClaim as Claim
from coord_protocol.vocab import ScopeType

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit"})
"""Tools whose calls change a file and therefore need the file claimed."""

DESCRIPTION = "claimed automatically by coord-hook when this session edited the file"
"""What others see on a claim the hook made."""


@dataclass(frozen=True, slots=True)
class Editor:
    """The agent session making the edit, and the service it claims from."""

    client: HookClient
    """Client whose calls carry the session id (each one counts as session activity)."""
    engineer: str
    """Engineer the claims are made for."""
    session_id: str
    """Session the claims belong to: released together when the session ends."""
    repo: str | None
    """Repo bucket of the claims."""
    branch: str | None
    """Branch shown on the claims."""


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit of one file of a checkout."""

    checkout: Path
    """Root of the checkout the file belongs to."""
    path: str
    """The file, relative to the checkout."""
    tool_name: str
    """`Edit`, `Write` or `MultiEdit`."""
    tool_input: Mapping[str, Any]
    """The tool's arguments (`old_string`, `edits`, ...), used to locate the edit."""


def guard(editor: Editor, edit: Edit, lookup: SymbolLookup | None = None) -> str | None:
    """None when the edit may go ahead (its file or symbols are claimed); else the refusal."""
    own = own_claims(editor)
    if covers_file(own, edit.path):
        return None
    answer = _claim(editor, {"pattern": anchored(edit.path)})
    if answer.claim_ids:
        return None
    now = datetime.now(UTC)
    held = [c.conflicting_claim for c in answer.conflicts]
    if not held or any(claim.scope_type is not ScopeType.SYMBOL for claim in held):
        return _refusals.file_held(edit.path, answer.conflicts, now)
    return _guard_symbols(editor, edit, own, answer, lookup)


def _guard_symbols(
    editor: Editor, edit: Edit, own: list[Claim], refused: Answer, lookup: SymbolLookup | None
) -> str | None:
    """Others hold only symbols of the file: claim the symbols the edit changes instead."""
    now = datetime.now(UTC)
    symbols = edited_symbols(edit.checkout, edit.path, edit.tool_name, edit.tool_input, lookup)
    if symbols is None:
        # The agent may already have claimed the symbol it is changing, as a refusal asks.
        mine = any(_is_symbol_claim_on(claim, edit.path) for claim in own)
        return None if mine else _refusals.location_unknown(edit.path, refused.conflicts, now)
    if covers_symbols(own, edit.path, symbols):
        return None
    answer = _claim(editor, {"pattern": anchored(edit.path), "symbols": symbols})
    if answer.claim_ids:
        return None
    return _refusals.symbols_held(edit.path, symbols, answer.conflicts, now)


def own_claims(editor: Editor) -> list[Claim]:
    """The engineer's active claims in the editor's repo bucket (any session)."""
    listing = list_claims(editor.client, engineer=editor.engineer, repo=editor.repo)
    return [claim for claim in listing if claim.repo == editor.repo]


def _claim(editor: Editor, spec: dict[str, Any]) -> Answer:
    """`POST /claims` of one item (a `ClaimSpec`: `pattern`, and `symbols` when scoped)."""
    return create_claims(editor.client, {
        "engineer": editor.engineer,
        "claims": [spec],
        "branch": editor.branch,
        "description": DESCRIPTION,
        "repo": editor.repo,
        "session_id": editor.session_id,
    })  # fmt: skip


def _is_symbol_claim_on(claim: Claim, path: str) -> bool:
    return claim.scope_type is ScopeType.SYMBOL and unanchored(claim.pattern) == path
