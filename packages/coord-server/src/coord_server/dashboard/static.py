"""The page's own assets, read from the package: nothing is fetched from anywhere else."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

STATIC_FILES = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
}
"""Every file served under `/dashboard/static/`, with its media type."""


@cache
def static_file(name: str) -> bytes:
    """The bytes of one of `STATIC_FILES` (the caller checks the name)."""
    return files("coord_server.dashboard").joinpath("static", name).read_bytes()
