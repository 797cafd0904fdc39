"""`coord-hook pre-push`: refuse a push that changes files another engineer has claimed.

git runs the hook with the remote's name and URL as arguments and one line per ref on stdin:
`<local ref> <local id> <remote ref> <remote id>`. For each ref the hook works out the files the
push changes (a deletion changes none), asks the service once about all of them, and prints a
table of the claims in the way. Each pushed commit is also checked against its `Coord-Claim`
trailers (SPEC §16): a file edited without a claim, or under a claim a newer grant to someone
else has fenced out, is reported. In enforce mode (the default) a conflict, a finding, or a
service that cannot be asked stops the push with exit status 1; in advise mode all are warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from coord_hooks import _identity
from coord_hooks._blockers import Blocker, find_blockers
from coord_hooks._client import connect, explain
from coord_hooks._fence_check import (
    FenceReport,
    adherence_report,
    check_commits,
    send_adherence,
)
from coord_hooks._fence_report import clean_line, terminal_lines
from coord_hooks._git import Commit, Git, GitError, is_object_id
from coord_hooks._render import blocker_lines, description_lines, wrap
from coord_hooks.config import HookConfig, PrePushMode, resolve_hook_config
from coord_protocol.errors import CoordError

ALLOW = 0
"""Exit status that lets the push go ahead."""

BLOCK = 1
"""Exit status that stops the push."""

BYPASS = "git push --no-verify"
"""How a person pushes past the hook, named in every refusal."""

_ZERO_ID = re.compile(r"0+")
_REMOTE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class RefUpdate:
    """One line of git's pre-push input: a ref and what the push does to it."""

    local_ref: str
    """The local ref pushed, such as `refs/heads/feature` (`(delete)` for a deletion)."""
    local_id: str
    """Commit the remote ref will point at; all zeros when the push deletes it."""
    remote_ref: str
    """The ref updated on the remote."""
    remote_id: str
    """Commit the remote ref points at now; all zeros when the push creates it."""

    @property
    def deletes(self) -> bool:
        """Whether the push deletes the remote ref (it changes no file then)."""
        return _ZERO_ID.fullmatch(self.local_id) is not None

    @property
    def creates(self) -> bool:
        """Whether the remote ref does not exist yet (a new branch or tag)."""
        return _ZERO_ID.fullmatch(self.remote_id) is not None


def parse_ref_updates(text: str) -> list[RefUpdate]:
    """The ref lines of git's pre-push input; raises `ValueError` naming a malformed line."""
    updates = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 4 or not (is_object_id(fields[1]) and is_object_id(fields[3])):
            raise ValueError(
                f"unexpected pre-push input line {line!r}: git sends "
                "'<local ref> <local id> <remote ref> <remote id>'"
            )
        updates.append(RefUpdate(*fields))
    return updates


def changed_files(git: Git, update: RefUpdate, remote: str | None) -> list[str]:
    """Repo-relative paths whose content `update` changes on the remote."""
    if update.deletes:
        return []
    base = _base(git, update, remote)
    if base is None:
        # No shared history to diff against: every commit no remote has yet is new.
        return git.changed_off_remotes(update.local_id)
    return git.changed_between(base, update.local_id)


def _base(git: Git, update: RefUpdate, remote: str | None) -> str | None:
    """The commit the pushed history is compared with.

    An existing remote ref: its merge base with the pushed commit (the remote commit itself for
    a fast-forward; for a forced push, where the histories part). A new ref: the merge base with
    the remote's default branch (`refs/remotes/<remote>/HEAD`) when git knows it.
    """
    if not update.creates and git.has_commit(update.remote_id):
        return git.merge_base(update.remote_id, update.local_id)
    if remote is None or _REMOTE_NAME.fullmatch(remote) is None:
        return None
    default = git.resolve(f"refs/remotes/{remote}/HEAD")
    return git.merge_base(default, update.local_id) if default else None


def files_to_push(git: Git, updates: Iterable[RefUpdate], remote: str | None) -> list[str]:
    """Every file the push changes, over all refs, sorted and each once."""
    return sorted({path for update in updates for path in changed_files(git, update, remote)})


def run(
    args: Sequence[str], stdin: TextIO, stderr: TextIO, environ: Mapping[str, str], cwd: Path
) -> int:
    """The hook: read git's input, check the pushed files, report; returns the exit status."""
    git = Git(cwd)
    main_checkout = git.main_checkout()
    config = resolve_hook_config(environ, cwd, [main_checkout] if main_checkout else [])
    for warning in config.warnings:
        stderr.write(wrap(f"coord: warning: {warning}") + "\n")
    remote = args[0] if args else None
    try:
        updates = parse_ref_updates(stdin.read())
        files = files_to_push(git, updates, remote)
        commits = commits_to_push(git, updates, remote) if files else []
    except (GitError, ValueError) as exc:
        return _cannot_check(config, f"cannot work out the pushed files: {exc}", stderr)
    if not files:
        return ALLOW
    if not config.configured:
        stderr.write(wrap(_UNCONFIGURED) + "\n")
        return ALLOW
    engineer = _identity.pusher(config, git, environ)
    try:
        with connect(config) as client:
            blockers = find_blockers(client, engineer, config.repo_id, files)
            fences = check_commits(client, engineer, config.repo_id, commits)
            report = adherence_report("pre_push", engineer, config.repo_id, commits, fences)
            send_adherence(client, report)
    except CoordError as exc:
        return _cannot_check(config, f"cannot check claims: {explain(config, exc)}", stderr)
    return _report(config, engineer, files, blockers, _beside(fences, blockers), stderr)


def commits_to_push(git: Git, updates: Iterable[RefUpdate], remote: str | None) -> list[Commit]:
    """The commits the push brings to the remote, over all refs, each once (SPEC §16: each
    is checked against the `Coord-Claim` trailers it carries)."""
    found: dict[str, Commit] = {}
    for update in updates:
        if not update.deletes:
            for commit in git.commits(update.local_id, _base(git, update, remote)):
                found.setdefault(commit.id, commit)
    return list(found.values())


def _beside(fences: FenceReport, blockers: Sequence[Blocker]) -> FenceReport:
    """`fences` without the "edited without a claim" findings of files the blocker table
    already shows held by someone else: one file, one explanation."""
    held = {blocker.file for blocker in blockers}
    kept = tuple(f for f in fences.findings if not (f.status == "unclaimed" and f.path in held))
    return replace(fences, findings=kept)


_UNCONFIGURED = (
    "coord: this checkout is not wired to a coord service (no .coordination/local.env, "
    "no COORD_API_URL); the push is not checked. Run `coord init` to wire it."
)


def _cannot_check(config: HookConfig, problem: str, stderr: TextIO) -> int:
    problem = problem.rstrip(".")
    if config.prepush_mode is PrePushMode.ADVISE:
        stderr.write(wrap(f"coord: warning: {problem}. Advise mode: the push goes ahead.") + "\n")
        return ALLOW
    stderr.write(wrap(f"coord: push blocked: {problem}.") + "\n")
    advice = (
        "Fix the problem above, or set COORD_PREPUSH_MODE=advise to push while the "
        f"service is down, or push anyway with: {BYPASS}"
    )
    stderr.write(wrap(advice) + "\n")
    return BLOCK


def _report(
    config: HookConfig,
    engineer: str,
    files: Sequence[str],
    blockers: Sequence[Blocker],
    fences: FenceReport,
    stderr: TextIO,
) -> int:
    if not blockers and not fences.findings:
        checked = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        line = f"coord: {checked} checked as {engineer}: no claims by others. {clean_line(fences)}"
        stderr.write(wrap(line) + "\n")
        return ALLOW
    advise = config.prepush_mode is PrePushMode.ADVISE
    sections = []
    if blockers:
        sections.append(blocker_report(blockers, advise, datetime.now(UTC)))
    if fences.findings:
        sections.append(terminal_lines(fences, advise))
    stderr.write("\n\n".join("\n".join(lines) for lines in sections) + "\n")
    return ALLOW if advise else BLOCK


def blocker_report(blockers: Sequence[Blocker], advise: bool, now: datetime) -> list[str]:
    """The lines printed when other engineers hold pushed files: headline, table, next step."""
    claimed = len({b.file for b in blockers})
    what = f"{claimed} changed file{'s are' if claimed != 1 else ' is'} claimed by other engineers"
    if advise:
        headline = f"coord: warning: {what} (advise mode: the push goes ahead)."
        steps = "Tell the holders about your change before either side merges."
    else:
        headline = f"coord: push blocked: {what}."
        steps = (
            "Ask the holder to release the claim (they can run `coord release ID`) or wait "
            f"until it expires, then push again. To push anyway: {BYPASS}"
        )
    ids = ", ".join(dict.fromkeys(b.claim_id for b in blockers))
    table = blocker_lines(blockers, now)
    doing = description_lines(blockers)
    return [
        wrap(headline), "", *table, "", *([*doing, ""] if doing else []),
        wrap(f"Claims: {ids}."), wrap(steps),
    ]  # fmt: skip
