"""The repo id (`owner/name`) of a checkout, from its `origin` remote or its directory name.

Claims in different repo ids never interact, so every worktree and clone of one repository must
arrive at the same id: the remote's path when origin is an ssh or https URL, otherwise the name
of the main checkout's directory (the same for all of its linked worktrees).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LENGTH = 200
"""Longest repo id the service accepts."""

NETWORK_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git", "https", "http", "git"})
_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^\\].*)$")
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_INVALID = re.compile(r"[^A-Za-z0-9._-]+")


def from_remote_url(url: str) -> str | None:
    """`owner/name` from an ssh (`git@host:owner/name.git`, `ssh://...`) or https remote URL.

    None for local paths, `file://` URLs and anything without a usable path.
    """
    path = _remote_path(url.strip())
    if path is None:
        return None
    path = path.strip("/").removesuffix(".git").strip("/")
    segments = [clean for part in path.split("/") if (clean := segment(part))]
    return "/".join(segments)[:MAX_LENGTH].rstrip("/.-_") or None


def segment(text: str) -> str:
    """`text` as a valid repo id segment: invalid characters become `-`; may be empty."""
    cleaned = _INVALID.sub("-", text.strip().lstrip("~"))
    return cleaned.lstrip("._-")


def from_directory(name: str) -> str:
    """A one-segment repo id from a directory name (`repo` when nothing usable is left)."""
    cleaned = segment(name)[:MAX_LENGTH]
    return cleaned if _SEGMENT.fullmatch(cleaned) else "repo"


def _remote_path(url: str) -> str | None:
    if "://" in url:
        parts = urlsplit(url)
        return parts.path if parts.scheme.lower() in NETWORK_SCHEMES and parts.hostname else None
    match = _SCP_LIKE.match(url)
    if match is None or len(match["host"]) == 1:  # `C:\...` is a Windows path, not a host
        return None
    return match["path"]
