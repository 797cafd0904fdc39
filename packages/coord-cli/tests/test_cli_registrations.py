"""coord's entries merged into tool configuration that also holds other people's entries."""

from __future__ import annotations

import json
import tomllib

import pytest

from coord_cli._templates import read_template
from coord_cli.registrations import (
    ConfigFileError,
    coord_hook_commands,
    merge_claude_hooks,
    merge_json_server,
    merge_toml_server,
)

MCP_JSON = read_template(".mcp.json")
CODEX = read_template(".codex/config.toml")
CLAUDE = read_template(".claude/settings.json")


def test_json_registration_is_added_beside_other_servers_and_kept_afterwards() -> None:
    existing = json.dumps({"mcpServers": {"docs": {"command": "docs-mcp"}}, "other": 1})
    merged = merge_json_server(existing, MCP_JSON, ".mcp.json", force=False)
    data = json.loads(merged)
    assert data["other"] == 1
    assert data["mcpServers"]["docs"] == {"command": "docs-mcp"}
    assert data["mcpServers"]["coord"]["command"] == "coord-mcp"
    assert merge_json_server(merged, MCP_JSON, ".mcp.json", force=False) == merged


def test_a_tuned_coord_entry_stays_unless_forced() -> None:
    tuned = json.dumps({"mcpServers": {"coord": {"command": "/opt/coord-mcp"}}})
    assert merge_json_server(tuned, MCP_JSON, ".mcp.json", force=False) == tuned
    reset = json.loads(merge_json_server(tuned, MCP_JSON, ".mcp.json", force=True))
    assert reset["mcpServers"]["coord"] == json.loads(MCP_JSON)["mcpServers"]["coord"]


def test_invalid_json_is_refused_with_its_position() -> None:
    with pytest.raises(ConfigFileError, match=r"^\.mcp\.json is not valid JSON \(line 1, column 2"):
        merge_json_server("{,}", MCP_JSON, ".mcp.json", force=False)


def test_toml_registration_is_appended_and_kept() -> None:
    existing = 'model = "o4"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n'
    merged = merge_toml_server(existing, CODEX, ".codex/config.toml", force=False)
    assert merged.startswith(existing)
    data = tomllib.loads(merged)
    assert data["model"] == "o4"
    assert set(data["mcp_servers"]) == {"docs", "coord"}
    assert merge_toml_server(merged, CODEX, ".codex/config.toml", force=False) == merged


def test_forcing_toml_replaces_only_coords_tables() -> None:
    existing = (
        '[mcp_servers.coord]\ncommand = "old"\n[mcp_servers.coord.env]\nX = "1"\n'
        '[mcp_servers.docs]\ncommand = "docs-mcp"\n'
    )
    merged = merge_toml_server(existing, CODEX, ".codex/config.toml", force=True)
    data = tomllib.loads(merged)
    assert data["mcp_servers"]["docs"] == {"command": "docs-mcp"}
    assert data["mcp_servers"]["coord"] == tomllib.loads(CODEX)["mcp_servers"]["coord"]
    assert merge_toml_server(merged, CODEX, ".codex/config.toml", force=True) == merged


def test_toml_that_cannot_take_the_section_is_refused() -> None:
    inline = 'mcp_servers = { docs = { command = "docs-mcp" } }\n'
    with pytest.raises(ConfigFileError, match="add it by hand"):
        merge_toml_server(inline, CODEX, ".codex/config.toml", force=False)


def test_claude_hooks_join_existing_settings_without_clobbering() -> None:
    theirs = {
        "model": "opus",
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]},
                {
                    "matcher": "Edit",
                    "hooks": [{"type": "command", "command": "coord-hook claude old"}],
                },
            ],
            "Stop": [{"hooks": [{"type": "command", "command": "notify"}]}],
        },
    }
    merged = json.loads(merge_claude_hooks(json.dumps(theirs), CLAUDE, "settings.json"))
    assert merged["model"] == "opus"
    assert merged["hooks"]["Stop"] == theirs["hooks"]["Stop"]
    pre_tool = merged["hooks"]["PreToolUse"]
    assert pre_tool[0]["matcher"] == "Bash"
    assert [entry["matcher"] for entry in pre_tool] == ["Bash", "Edit|Write|MultiEdit", "Bash"]
    assert [entry["matcher"] for entry in merged["hooks"]["PostToolUse"]] == ["Bash"]
    assert coord_hook_commands(json.dumps(merged)) == {
        "coord-hook claude session-start",
        "coord-hook claude pre-tool-use",
        "coord-hook claude post-tool-use",
        "coord-hook claude session-end",
    }
    text = json.dumps(merged, indent=2) + "\n"
    assert merge_claude_hooks(text, CLAUDE, "settings.json") == text


def test_claude_settings_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ConfigFileError, match="`hooks` is not an object"):
        merge_claude_hooks('{"hooks": []}', CLAUDE, "settings.json")
    with pytest.raises(ConfigFileError, match=r"hooks\.PreToolUse is not a list"):
        merge_claude_hooks('{"hooks": {"PreToolUse": {}}}', CLAUDE, "settings.json")
