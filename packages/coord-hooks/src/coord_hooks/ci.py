"""`coord-hook ci --base REF`: a pull request's changed files against active claims.

The files are those changed between the merge base of `--base` and `--head` (default `HEAD`),
as the pull request's diff shows them. The report is Markdown, printed, and also appended to the
GitHub Actions step summary when `$GITHUB_STEP_SUMMARY` is set. Each of the pull request's
commits is also checked against its `Coord-Claim` trailers, as the pre-push hook checks them
(SPEC §16), and its findings are listed in a second table. Exit status: 0 when no other engineer
holds a changed file and every change was made under a valid claim, 1 when another engineer
holds one or (unless `COORD_PREPUSH_MODE=advise`) a change was not, 2 when the check could not
run.

In CI the engineer whose claims do not count is `--engineer`, else `COORD_USER` (the workflow
template sets it to the pull request's author), else `$GITHUB_ACTOR`; the repo id is
`COORD_REPO_ID`, else `$GITHUB_REPOSITORY`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from coord_hooks._blockers import Blocker, find_blockers
from coord_hooks._client import connect, explain
from coord_hooks._fence_check import (
    FenceReport,
    adherence_report,
    check_commits,
    send_adherence,
)
from coord_hooks._fence_report import clean_line, markdown_lines
from coord_hooks._git import Commit, Git, GitError
from coord_hooks._render import expiry_text, markdown_table
from coord_hooks.config import HookConfig, PrePushMode, resolve_hook_config
from coord_protocol.errors import CoordError
from coord_protocol.text import printable

CLEAR = 0
"""Exit status when no other engineer holds a changed file."""

CONFLICTS = 1
"""Exit status when another engineer holds a changed file, or (enforce) a change was not made
under a valid claim."""

CANNOT_CHECK = 2
"""Exit status when the files or the claims could not be read."""

_HEADERS = ("file", "holder", "their claim", "claim", "expires")

TITLE = "## coord: active claims on this pull request's files"
"""Heading of the step summary."""

FENCE_TITLE = "### Changes not made under a valid claim"
"""Heading of the fence findings (SPEC §16)."""


@dataclass(frozen=True, slots=True)
class CiCheck:
    """What to compare: the pull request's base and head, as seen by `engineer`."""

    base: str
    """The branch the pull request merges into, e.g. `origin/main`."""
    head: str = "HEAD"
    """The pull request's commit."""
    engineer: str | None = None
    """Whose claims do not count; see the module docstring for the default."""


def pull_request_files(git: Git, base: str, head: str) -> list[str]:
    """Files the pull request changes: from the merge base of `base` and `head` to `head`."""
    merge_base, head_commit = _span(git, base, head)
    return sorted(git.changed_between(merge_base, head_commit))


def pull_request_commits(git: Git, base: str, head: str) -> list[Commit]:
    """The pull request's commits: reachable from `head`, not from the merge base. Remote refs
    do not exclude any: in CI the pull request's own branch is one."""
    merge_base, head_commit = _span(git, base, head)
    return git.commits(head_commit, merge_base, off_remotes=False)


def _span(git: Git, base: str, head: str) -> tuple[str, str]:
    base_commit, head_commit = git.resolve(base), git.resolve(head)
    if base_commit is None or head_commit is None:
        missing = base if base_commit is None else head
        raise GitError(
            f"{missing!r} is not a commit here; fetch it first (in GitHub Actions, "
            "actions/checkout with fetch-depth: 0)"
        )
    merge_base = git.merge_base(base_commit, head_commit)
    if merge_base is None:
        raise GitError(f"{base!r} and {head!r} share no history; fetch the full history")
    return merge_base, head_commit


def run(
    check: CiCheck, environ: Mapping[str, str], cwd: Path, stdout: TextIO, stderr: TextIO
) -> int:
    """Run the check, write the report, and return the exit status."""
    git = Git(cwd)
    config = resolve_hook_config(environ, cwd)
    engineer = check.engineer or config.user or environ.get("GITHUB_ACTOR") or "ci"
    repo = config.repo_id or environ.get("GITHUB_REPOSITORY") or None
    try:
        files = pull_request_files(git, check.base, check.head)
        commits = pull_request_commits(git, check.base, check.head)
        blockers, fences = _checked(config, engineer, repo, files, commits)
    except (GitError, CoordError) as exc:
        problem = explain(config, exc) if isinstance(exc, CoordError) else str(exc)
        _publish([TITLE, "", f"The check could not run: {problem}"], environ, stdout)
        stderr.write(f"coord: the check could not run: {problem}\n")
        return CANNOT_CHECK
    lines = summary(files, blockers, engineer, datetime.now(UTC)) + fence_summary(fences)
    _publish(lines, environ, stdout)
    if blockers:
        return CONFLICTS
    advise = config.prepush_mode is PrePushMode.ADVISE
    return CONFLICTS if fences.findings and not advise else CLEAR


def _checked(
    config: HookConfig, engineer: str, repo: str | None, files: list[str], commits: list[Commit]
) -> tuple[list[Blocker], FenceReport]:
    if not files:
        return [], FenceReport(commits=len(commits), paths=0, with_trailers=0, findings=())
    with connect(config) as client:
        blockers = find_blockers(client, engineer, repo, files)
        fences = check_commits(client, engineer, repo, commits)
        send_adherence(client, adherence_report("ci", engineer, repo, commits, fences))
        return blockers, fences


def fence_summary(fences: FenceReport) -> list[str]:
    """The fence section of the report: the same findings the pre-push hook prints."""
    if not fences.findings:
        return ["", clean_line(fences)]
    return [
        "", FENCE_TITLE, "", *markdown_lines(fences), "",
        "Claim what you edit (`coord claim PATTERN`), or rebase onto the newer holder's work, "
        "then push again. `COORD_PREPUSH_MODE=advise` reports without failing the check.",
    ]  # fmt: skip


def summary(
    files: Sequence[str], blockers: Sequence[Blocker], engineer: str, now: datetime
) -> list[str]:
    """Lines of the Markdown report."""
    if not blockers:
        count = f"{len(files)} changed file{'s' if len(files) != 1 else ''}"
        return [TITLE, "", f"No other engineer holds an active claim on the {count}."]
    claimed = len({b.file for b in blockers})
    rows = [
        (b.file, b.holder, b.their_claim, b.claim_id, expiry_text(b.expires_at, now))
        for b in blockers
    ]
    return [
        TITLE,
        "",
        f"**{claimed} of {len(files)} changed files are claimed by other engineers** "
        f"(checked as `{engineer}`).",
        "",
        *markdown_table(_HEADERS, rows, code_columns=4),
        "",
        "Coordinate with the holders before merging: ask them to release their claims "
        "(`coord release ID`) or wait until they expire, then re-run this check.",
    ]


def _publish(lines: Sequence[str], environ: Mapping[str, str], stdout: TextIO) -> None:
    # The report quotes the service (holders, descriptions, error details): no line may carry
    # a control character into the log or the Markdown summary.
    text = "\n".join(printable(line) for line in lines) + "\n"
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with Path(summary_path).open("a", encoding="utf-8") as summary_file:
            summary_file.write(text)
    stdout.write(text)
