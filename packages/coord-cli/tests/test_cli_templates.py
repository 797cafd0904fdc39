"""The packaged templates: mirrored by the repository's `templates/`, and each one well formed."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from coord_cli import blocks
from coord_cli._templates import read_template
from coord_cli.git_hook import MARKER
from coord_engine.owners import parse_owners

PACKAGED = Path(__file__).parents[1] / "src" / "coord_cli" / "templates"
MIRROR = Path(__file__).parents[3] / "templates"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_repository_templates_mirror_the_packaged_ones() -> None:
    # coord init reads the packaged copy; templates/ is what people browse. Copy edits across.
    assert _tree(MIRROR) == _tree(PACKAGED)


@pytest.mark.parametrize("name", [".mcp.json", ".cursor/mcp.json", ".claude/settings.json"])
def test_json_templates_parse(name: str) -> None:
    assert isinstance(json.loads(read_template(name)), dict)


def test_registrations_hold_placeholders_only() -> None:
    for name in (".mcp.json", ".cursor/mcp.json"):
        env = json.loads(read_template(name))["mcpServers"]["coord"]["env"]
        assert env["COORD_AUTH_TOKEN"] == "set-me"
    codex = tomllib.loads(read_template(".codex/config.toml"))["mcp_servers"]["coord"]
    assert codex["command"] == "coord-mcp"
    assert codex["env"]["COORD_AUTH_TOKEN"] == "set-me"


@pytest.mark.parametrize(
    "name", ["CLAUDE.md", "AGENTS.md", ".cursor/rules/coord.mdc", "gitignore-block"]
)
def test_instruction_templates_hold_one_block(name: str) -> None:
    block = blocks.extract_block(read_template(name))
    assert block.endswith(("coord:end -->\n", "# coord:end\n"))


def test_protocol_blocks_name_the_mcp_tools_agents_call() -> None:
    for name in ("CLAUDE.md", "AGENTS.md", ".cursor/rules/coord.mdc"):
        text = read_template(name)
        for tool in ("claim_files", "check_conflicts", "request_release", "release_claims"):
            assert f"`{tool}`" in text, (name, tool)


def test_the_cursor_rule_starts_with_its_front_matter() -> None:
    assert read_template(".cursor/rules/coord.mdc").startswith("---\ndescription: ")


def test_the_pre_push_hook_execs_coord_hook_and_carries_the_marker() -> None:
    hook = read_template("git-hooks/pre-push")
    assert hook.startswith("#!/bin/sh\n")
    assert MARKER in hook
    assert hook.rstrip().endswith('exec coord-hook pre-push "$@"')
    assert (PACKAGED / "git-hooks" / "pre-push").stat().st_mode & 0o111


def test_the_owners_starter_is_an_empty_valid_configuration() -> None:
    config = parse_owners(read_template(".coordination/owners.yaml"))
    assert config.areas == ()
    assert config.shared_files == ()
