"""The git checkout the server benchmark points `COORD_REPO_ROOT` at, and the paths it uses.

Tracked files sit ten to a leaf directory: `src/p000/m00/f0.py` ... `src/p099/m99/f9.py` for
100,000 files. The index is written straight into `.git/index` (every entry the empty blob), so a
repository of 100,000 files takes about a second to make and holds no work-tree files: the
server only ever lists it with `git ls-files`.

The preloaded claims are on new, untracked files (`wip<k>.py`) and globs over them, spread over
the same leaf directories: they share directories with the paths the load touches but never
overlap them, so every scenario measures the lookup cost and never an accidental conflict.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES_PER_DIR = 10
DIRS_PER_PACKAGE = 100
GLOB_EVERY = 10
"""Every tenth preloaded claim is a glob (`wip<k>_*.py`) instead of one file."""

HOT_FILES = 16
"""Files held by one engineer during the contended scenario."""

SYMBOL_FILE = "src/hot/router.py"
"""The one file with content (in the work tree and the index): the symbol claims' hot file."""
SYMBOL_FUNCTIONS = 200
SYMBOL_PARTNERS = 8
"""Engineers holding one symbol of the hot file each while the symbol claims are measured."""


def tracked_path(index: int) -> str:
    """The path of tracked file number `index`."""
    leaf, file_number = divmod(index, FILES_PER_DIR)
    package, module = divmod(leaf, DIRS_PER_PACKAGE)
    return f"src/p{package:03d}/m{module:02d}/f{file_number}.py"


def preload_pattern(number: int, tracked_files: int) -> str:
    """Pattern of preloaded claim `number`: a new file or a glob, never a tracked file."""
    leaf_dirs = max(1, tracked_files // FILES_PER_DIR)
    directory = tracked_path((number % leaf_dirs) * FILES_PER_DIR).rsplit("/", 1)[0]
    if number % GLOB_EVERY == GLOB_EVERY - 1:
        return f"{directory}/wip{number}_*.py"
    return f"{directory}/wip{number}.py"


def hot_path(number: int) -> str:
    """Hot file `number` (0 <= number < HOT_FILES): the last file of an early leaf directory."""
    return tracked_path(number * FILES_PER_DIR + FILES_PER_DIR - 1)


def symbol_name(number: int) -> str:
    """The symbol path of function `number` of the hot file."""
    return f"handle_{number}"


def symbol_source(functions: int = SYMBOL_FUNCTIONS) -> str:
    """A Python module of `functions` small functions (about 5 lines each)."""
    return "".join(
        f"def {symbol_name(n)}(request):\n"
        f'    """Answer request kind {n}."""\n'
        f"    body = request.body\n    return body.id + {n}\n\n\n"
        for n in range(functions)
    )


def make_repo(root: Path, tracked_files: int) -> Path:
    """A git checkout at `root` whose index tracks `tracked_files` empty files, and the hot
    symbol file (`SYMBOL_FILE`, in the work tree too)."""
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "--quiet")
    empty_blob = _git(root, "hash-object", "-w", "--stdin").strip()
    hot = root / SYMBOL_FILE
    hot.parent.mkdir(parents=True, exist_ok=True)
    hot.write_text(symbol_source())
    hot_blob = _git(root, "hash-object", "-w", SYMBOL_FILE).strip()
    entries = f"100644 {hot_blob}\t{SYMBOL_FILE}\n" + "".join(
        f"100644 {empty_blob}\t{tracked_path(index)}\n" for index in range(tracked_files)
    )
    _git(root, "update-index", "--add", "--index-info", stdin=entries)
    return root


def _git(root: Path, *args: str, stdin: str = "") -> str:
    completed = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
        ["git", *args],  # noqa: S607 - git from PATH, as the server itself runs it
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout
