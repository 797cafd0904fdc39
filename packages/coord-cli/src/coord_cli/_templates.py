"""The files `coord init` writes, packaged with coord-cli (`coord_cli/templates/`).

The repository's top-level `templates/` directory mirrors this one byte for byte (a test keeps
them equal), so people can read the templates without installing anything.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

GITIGNORE_BLOCK = "gitignore-block"
"""The managed `.gitignore` block (not named `.gitignore`, which git would obey here)."""

PRE_PUSH = "git-hooks/pre-push"
"""The pre-push hook script."""

GIT_HOOKS_DIR = "git-hooks"
"""Where the git hook scripts are, one per hook name (`git-hooks/prepare-commit-msg`)."""


def template_root() -> Traversable:
    """The packaged templates directory."""
    return files("coord_cli") / "templates"


def read_template(relative: str) -> str:
    """The text of one template, by its path under the templates directory."""
    node = template_root()
    for part in relative.split("/"):
        node = node / part
    return node.read_text(encoding="utf-8")
