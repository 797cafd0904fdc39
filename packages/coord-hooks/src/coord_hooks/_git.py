"""The questions the hooks ask git, each one `git` process with fixed arguments and no shell.

They run through `coord_protocol.git`: the token in the hook's environment never reaches git,
and the checkout's configuration cannot start a program. Only the identity questions
(`user.email`, `user.name`) read the user's global configuration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from coord_protocol.git import GitUnavailableError, run_git

GIT_TIMEOUT_SEC = 30.0
"""Upper bound on one git command; a diff of a very large push still fits."""

MAX_COMMITS = 500
"""Commits one push or pull request is checked for trailers (the newest)."""

_OBJECT_ID = re.compile(r"[0-9a-f]{4,64}")

_LOCATIONS = (
    ("--git-common-dir",),
    ("--git-dir",),
    ("--show-toplevel",),
    ("--abbrev-ref", "HEAD"),
)
"""What `Git` asks about where it is, each answered on one line of `git rev-parse`."""
_LOCATIONS_ASKED = tuple(word for question in _LOCATIONS for word in question)


class GitError(RuntimeError):
    """A git command failed; the message names the command and what git said."""


def is_object_id(text: str) -> bool:
    """True for a hexadecimal object id as git prints it (SHA-1 or SHA-256)."""
    return _OBJECT_ID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class Git:
    """Git, run in one directory."""

    cwd: Path
    _answers: dict[tuple[str, ...], str | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Answers of questions already asked: a hook asks where the checkout is more than once."""

    def run(
        self, *args: str, user_config: bool = False, env: Mapping[str, str] | None = None
    ) -> str:
        """The stdout of `git ARGS`; raises `GitError` when git fails or is missing."""
        try:
            done = run_git(
                self.cwd, *args, user_config=user_config, env=env, timeout=GIT_TIMEOUT_SEC
            )
        except GitUnavailableError as exc:
            raise GitError(f"{exc} (in {self.cwd})") from exc
        if not done.ok:
            raise GitError(f"`git {' '.join(args)}` failed in {self.cwd}: {done.last_error_line()}")
        return done.stdout

    def ask(self, *args: str, user_config: bool = False) -> str | None:
        """The stripped stdout of `git ARGS`, or None when git fails or prints nothing."""
        try:
            answer = self.run(*args, user_config=user_config).strip()
        except GitError:
            return None
        return answer or None

    def toplevel(self) -> Path | None:
        """Root of the working tree containing `cwd` (a linked worktree's own root)."""
        root = self._where("--show-toplevel")
        return Path(root) if root else None

    def main_checkout(self) -> Path | None:
        """Root of the main working tree, also when `cwd` is in a linked worktree."""
        common = self._where("--git-common-dir")
        if common is None:
            return None
        common_dir = Path(common)
        return common_dir.parent if common_dir.name == ".git" else None

    def git_dir(self) -> Path | None:
        """This working tree's own git directory (`.git`, or `.git/worktrees/NAME`)."""
        found = self._where("--git-dir")
        return Path(found) if found else None

    def current_branch(self) -> str | None:
        """The checked-out branch; None when detached or outside a checkout."""
        branch = self._where("--abbrev-ref", "HEAD")
        return None if branch in (None, "HEAD") else branch

    def _where(self, *question: str) -> str | None:
        """`git rev-parse --path-format=absolute QUESTION`; the three questions in one process.

        Every git process is a few milliseconds of each hook call. Where one of them cannot be
        answered (a bare repository has no top level, a new one no branch yet), git answers
        none, and each is then asked on its own.
        """
        if not self._answers:
            both = self.ask("rev-parse", "--path-format=absolute", *_LOCATIONS_ASKED)
            lines = both.splitlines() if both else []
            if len(lines) == len(_LOCATIONS):
                self._answers.update(zip(_LOCATIONS, lines, strict=True))
        if question not in self._answers:
            self._answers[question] = self.ask("rev-parse", "--path-format=absolute", *question)
        return self._answers[question]

    def config_value(self, key: str) -> str | None:
        """A git configuration value such as `user.email` (global ones too), or None."""
        return self.ask("config", "--get", key, user_config=True)

    def has_commit(self, object_id: str) -> bool:
        """Whether `object_id` names a commit this repository has."""
        return self.ask("rev-parse", "--verify", "--quiet", f"{object_id}^{{commit}}") is not None

    def resolve(self, ref: str) -> str | None:
        """The commit `ref` points at, or None."""
        return self.ask("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")

    def merge_base(self, first: str, second: str) -> str | None:
        """The best common ancestor of two commits, or None when they share no history."""
        return self.ask("merge-base", first, second)

    def changed_between(self, base: str, head: str) -> list[str]:
        """Paths that differ between two commits; a rename counts as both of its paths."""
        return _paths(self.run("diff", "--name-only", "--no-renames", "-z", base, head, "--"))

    def changed_off_remotes(self, head: str) -> list[str]:
        """Paths touched by commits reachable from `head` that no remote-tracking ref has."""
        listing = self.run(
            "log", "--format=", "--name-only", "--no-renames", "-z", head, "--not", "--remotes"
        )
        return _paths(listing)

    def staged(self, index_file: str | None) -> list[str]:
        """Paths the next commit changes: the index against `HEAD` (every staged path before
        the first commit). During a commit hook git names its own index in `index_file`
        (`git commit -a` stages into a temporary one)."""
        env = {"GIT_INDEX_FILE": index_file} if index_file else None
        listing = self.run("diff", "--cached", "--name-only", "--no-renames", "-z", "--", env=env)
        return _paths(listing)

    def commits(self, head: str, base: str | None, off_remotes: bool = True) -> list[Commit]:
        """Commits reachable from `head` that `base` does not have (nor, with `off_remotes`, a
        remote-tracking ref), newest first, with the paths each changed and its trailers.

        A merge commit lists no paths: what it brings in is checked in the commits merged. At
        most `MAX_COMMITS`: the first push of a long history to a new remote checks its newest.
        """
        excluded = [*([base] if base else []), *(["--remotes"] if off_remotes else [])]
        listing = self.run(
            "log", "-z", "--no-renames", "--name-only", f"--format={_COMMIT_FORMAT}",
            f"--max-count={MAX_COMMITS}", head, "--not", *excluded, "--",
        )  # fmt: skip
        return parse_commits(listing)


_RECORD, _FIELD = "\x1e", "\x1f"
_COMMIT_FORMAT = "%x1e%H%x1f%cI%x1f%(trailers:key=Coord-Claim,valueonly,separator=%x1f)"
"""One record per commit: id, committer time, then the trailer values, `\\x1f`-separated."""


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit to check: which paths it changed, and the trailers it carries."""

    id: str
    """Full object id."""
    committed_at: str
    """Committer time, ISO 8601 with offset."""
    trailers: tuple[str, ...]
    """Values of its `Coord-Claim` trailers, as written."""
    paths: tuple[str, ...]
    """Repo-relative paths it changed (a rename is both of its paths)."""


def parse_commits(listing: str) -> list[Commit]:
    """The commits of `git log -z --name-only --format=_COMMIT_FORMAT` output."""
    commits = []
    for record in listing.split(_RECORD)[1:]:
        header, _, names = record.partition("\0")
        commit_id, committed_at, *trailers = header.split(_FIELD)
        values = tuple(value.strip() for value in trailers if value.strip())
        commits.append(Commit(commit_id, committed_at, values, tuple(_paths(names))))
    return commits


def _paths(nul_separated: str) -> list[str]:
    names = (name.strip("\n") for name in nul_separated.split("\0"))
    return list(dict.fromkeys(name for name in names if name))
