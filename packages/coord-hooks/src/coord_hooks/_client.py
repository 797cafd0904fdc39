"""The calls the hooks make, over the stdlib HTTP path, and failures explained in one line.

Each call is one route of the coord API with the body coord-protocol's request model describes
(`CreateClaimsRequest`, `ConflictBatchRequest`); fields left unset are not sent, as the typed
client leaves out its `None` fields, so the service applies its own defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coord_hooks._explain import explain
from coord_hooks._http import HookClient, segment
from coord_hooks._wire import (
    ClaimAnswer,
    Conflict,
    HeldClaim,
    checked,
    claim_answer,
    claims_of,
    conflicts_of,
    next_cursor_of,
)
from coord_hooks.config import HookConfig

__all__ = ["explain"]  # re-exported: the pre-push and CI checks import it from here

MAX_BATCH_PATTERNS = 5000
"""`POST /conflicts/batch` checks at most this many patterns per call (coord-protocol's
`conflicts.MAX_BATCH_PATTERNS`, which a test holds this equal to)."""


MAX_LIST_PAGES = 20
"""Pages one listing follows (the typed client's bound too)."""


def connect(config: HookConfig, session_id: str | None = None) -> HookClient:
    """A client for the configured service; the token travels only in a request header."""
    return HookClient(config.api_url, config.token, session_id)


def list_claims(
    client: HookClient, engineer: str | None = None, repo: str | None = None
) -> list[HeldClaim]:
    """`GET /claims`: the active claims, of `engineer` when named, in `repo`'s bucket, over
    up to `MAX_LIST_PAGES` pages (a list answer says where its next page starts)."""
    return checked("GET /claims", claims_of, {"claims": list_claim_rows(client, engineer, repo)})


def list_claim_rows(
    client: HookClient, engineer: str | None = None, repo: str | None = None
) -> list[Any]:
    """`GET /claims` as the service wrote each row (plain JSON), over up to `MAX_LIST_PAGES`."""
    params = [(key, value) for key, value in (("engineer", engineer), ("repo", repo)) if value]
    rows: list[Any] = []
    cursor: str | None = None
    for _ in range(MAX_LIST_PAGES):
        page = client.get("/claims", params + ([("cursor", cursor)] if cursor else []))
        found = page.get("claims") if isinstance(page, dict) else None
        if not isinstance(found, list):
            checked("GET /claims", claims_of, page)  # raises, naming what is malformed
        rows += found or []
        cursor = next_cursor_of(page)
        if cursor is None:
            break
    return rows


def create_claims(client: HookClient, request: dict[str, Any]) -> ClaimAnswer:
    """`POST /claims`; a 409 is an answer (the conflicts), not an error."""
    body = {key: value for key, value in request.items() if value is not None}
    return checked("POST /claims", claim_answer, client.post("/claims", body, answers=(200, 409)))


def check_conflicts(
    client: HookClient, patterns: Sequence[str], engineer: str, repo: str | None
) -> tuple[Conflict, ...]:
    """`POST /conflicts/batch`: the held claims of others each pattern overlaps."""
    body: dict[str, Any] = {"patterns": list(patterns), "engineer": engineer}
    if repo is not None:
        body["repo"] = repo
    return checked("POST /conflicts/batch", conflicts_of, client.post("/conflicts/batch", body))


def release_session(client: HookClient, session_id: str, repo: str | None) -> None:
    """`POST /sessions/{id}/release`: every claim of the session."""
    params = [("repo", repo)] if repo else []
    client.post(f"/sessions/{segment(session_id)}/release", None, params)
