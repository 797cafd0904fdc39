"""Concrete files as claim patterns, and back.

A file path sent as a pattern is anchored with a leading `/`: unanchored, a root file such as
`package.json` would match at any depth and overlap every literal claim (docs/decisions.md,
"Patterns"). The service keeps the `/` only where it changes the meaning: it echoes
`/package.json` back as sent, but `/src/a.ts` as `src/a.ts`.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


def anchored(path: str) -> str:
    """The claim pattern naming exactly the repo-relative file `path`."""
    return "/" + path.lstrip("/")


def unanchored(pattern: str) -> str:
    """A pattern without its root anchor, for display and for comparing with a file path."""
    return pattern.lstrip("/")


def repo_relative(file_path: Path, root: Path) -> str | None:
    """`file_path` relative to the checkout `root`, in `/` form; None when it lies outside.

    Both sides are resolved first, so symlinked temporary directories and `..` compare as the
    files they name. Paths inside `.git` are never claimable and also give None.
    """
    try:
        relative = file_path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    parts = PurePosixPath(*relative.parts)
    if not parts.parts or parts.parts[0] == ".git":
        return None
    return str(parts)
