"""`coord-hook prepare-commit-msg`: a `Coord-Claim` trailer per claim the commit is made under.

git runs the hook with the message file, then the message's source (`message`, `template`,
`merge`, `squash`, `commit`) and, for `commit`, the commit it came from. The hook asks the
service which active claims of the committing engineer (or of a name beneath it: the agents'
sessions) cover the staged files, and adds one trailer per claim with `git interpret-trailers`,
so git's own trailer tools read them back.

A commit is never stopped: the hook answers within `COMMIT_TIMEOUT_SEC`, and when the service
cannot be asked it writes one warning and adds nothing. Merge and squash messages get no
trailers: the files they bring are other commits' work, checked in those commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from coord_hooks import _identity
from coord_hooks._client import explain
from coord_hooks._git import Git, GitError
from coord_hooks._http import HookClient
from coord_hooks._render import wrap
from coord_hooks._trailers import Trailer
from coord_hooks.config import resolve_hook_config
from coord_protocol.errors import CoordError
from coord_protocol.reconcile import MAX_ENTRIES_PER_CALL

COMMIT_TIMEOUT_SEC = 1.0
"""Longest wait for the service: a commit is a person's (or agent's) next keystroke."""

SKIPPED_SOURCES = frozenset({"merge", "squash"})
"""Message sources whose commits record others' work."""


def run(args: Sequence[str], stderr: TextIO, environ: Mapping[str, str], cwd: Path) -> int:
    """The hook; always exits 0 (a commit is never stopped)."""
    if not args or (len(args) > 1 and args[1] in SKIPPED_SOURCES):
        return 0
    message_file = (cwd / args[0]).resolve()
    git = Git(cwd)
    main_checkout = git.main_checkout()
    config = resolve_hook_config(environ, cwd, [main_checkout] if main_checkout else [])
    if not config.configured:
        return 0
    try:
        staged = git.staged(environ.get("GIT_INDEX_FILE"))
        if not staged:
            return 0
        engineer = _identity.pusher(config, git, environ)
        with HookClient(config.api_url, config.token, timeout=COMMIT_TIMEOUT_SEC) as client:
            trailers = covering_trailers(client, engineer, config.repo_id, staged)
        if trailers:
            add_trailers(git, message_file, trailers)
    except CoordError as exc:
        stderr.write(wrap(f"coord: no Coord-Claim trailer added: {explain(config, exc)}") + "\n")
    except GitError as exc:
        stderr.write(wrap(f"coord: no Coord-Claim trailer added: {exc}") + "\n")
    return 0


def covering_trailers(
    client: HookClient, engineer: str, repo: str | None, paths: Sequence[str]
) -> list[Trailer]:
    """One trailer per active claim of `engineer` covering one of `paths`, oldest fence first."""
    found: dict[str, Trailer] = {}
    for start in range(0, len(paths), MAX_ENTRIES_PER_CALL):
        entries = [{"path": path} for path in paths[start : start + MAX_ENTRIES_PER_CALL]]
        body: dict[str, Any] = {"engineer": engineer, "entries": entries}
        if repo:
            body["repo"] = repo
        answer = client.post("/fences/check", body)
        verdicts = answer.get("verdicts") if isinstance(answer, dict) else None
        for verdict in verdicts if isinstance(verdicts, list) else ():
            covering = verdict.get("covering") if isinstance(verdict, dict) else None
            for claim in covering or ():
                trailer = _trailer_of(claim)
                if trailer is not None:
                    found[trailer.claim_id] = trailer
    return sorted(found.values(), key=lambda trailer: (trailer.fence, trailer.claim_id))


def _trailer_of(claim: Any) -> Trailer | None:
    if not isinstance(claim, dict):
        return None
    claim_id, fence, repo = claim.get("id"), claim.get("fence"), claim.get("repo")
    if not isinstance(claim_id, str) or not isinstance(fence, int) or " " in claim_id:
        return None
    return Trailer(claim_id, fence, repo if isinstance(repo, str) else None)


def add_trailers(git: Git, message_file: Path, trailers: Sequence[Trailer]) -> None:
    """Add `trailers` to the message in place; one already there is not added twice."""
    options = [arg for trailer in trailers for arg in ("--trailer", trailer.line())]
    git.run(
        "interpret-trailers", "--in-place", "--no-divider", "--if-exists", "addIfDifferent",
        *options, str(message_file),
    )  # fmt: skip
