"""How the three client commands get onto PATH: one command, named everywhere the same way.

`coord`, `coord-mcp` and `coord-hook` must be found by whatever runs in an application repo (a
shell, the agent tool starting its MCP server, git running the pre-push hook), not only inside
coord's own virtual environment. Until the packages are on an index, they come from a clone.
"""

from __future__ import annotations

INSTALL_COMMAND = (
    "uv tool install --reinstall './packages/coord-cli[all]' "
    "--with-executables-from coord-mcp,coord-hooks"
)
"""Run in a clone of coord: puts `coord`, `coord-mcp` and `coord-hook` on PATH (uv's tool bin
directory, see `uv tool dir --bin`); `--reinstall` makes a rerun pick up a newer clone."""

INSTALL_FIX = f"from a clone of coord run `{INSTALL_COMMAND}`"
"""The fix line of every "command not found" check."""
