"""Merging coord's entries into tool configuration files that may hold other things.

The MCP registrations (`.mcp.json`, `.cursor/mcp.json`, `.codex/config.toml`) and Claude Code's
`.claude/settings.json` are shared with other tools and servers. coord adds its own entry and
leaves every other key as it was; an existing coord MCP entry is kept (someone may have tuned it)
unless `--force` resets it to the template. Each function returns the new text, which equals the
old text when nothing needs to change.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

SERVER_NAME = "coord"
"""Name of coord's entry in every MCP registration."""

CLAUDE_HOOK_PREFIX = "coord-hook claude "
"""Commands of Claude Code hooks that belong to coord."""

_TOML_HEADER = re.compile(r"^\s*\[\s*mcp_servers\.coord\s*(?:\.[^\]]*)?\]\s*(?:#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


class ConfigFileError(ValueError):
    """A configuration file cannot be read or merged; the message names the file and the fix."""


def merge_json_server(existing: str | None, template: str, name: str, force: bool) -> str:
    """`existing` JSON with `mcpServers.coord` from `template` added (or reset with `force`)."""
    if existing is None:
        return template
    data = _json_object(existing, name)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigFileError(f"{name}: `mcpServers` is not an object; fix it by hand")
    wanted = json.loads(template)["mcpServers"][SERVER_NAME]
    if SERVER_NAME in servers and (not force or servers[SERVER_NAME] == wanted):
        return existing
    servers[SERVER_NAME] = wanted
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def merge_toml_server(existing: str | None, template: str, name: str, force: bool) -> str:
    """`existing` TOML with the `[mcp_servers.coord]` tables of `template` appended (or reset)."""
    if existing is None:
        return template
    current = _toml(existing, name).get("mcp_servers", {}).get(SERVER_NAME)
    wanted = _toml(template, "the template")["mcp_servers"][SERVER_NAME]
    if current is not None and (not force or current == wanted):
        return existing
    base = existing if current is None else _without_coord_tables(existing, name)
    merged = base.rstrip("\n") + ("\n\n" if base.strip() else "") + template
    try:
        tomllib.loads(merged)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(
            f"{name}: coord's [mcp_servers.coord] section cannot be appended ({exc}); "
            "add it by hand from `coord init`'s template"
        ) from exc
    return merged


def merge_claude_hooks(existing: str | None, template: str, name: str) -> str:
    """`existing` Claude Code settings with coord's hook entries set (other settings kept)."""
    if existing is None:
        return template
    data = _json_object(existing, name)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigFileError(f"{name}: `hooks` is not an object; fix it by hand")
    before = json.dumps(data, sort_keys=True)
    for event, entries in json.loads(template)["hooks"].items():
        hooks[event] = _with_coord_entries(hooks.get(event), entries, f"{name}: hooks.{event}")
    if json.dumps(data, sort_keys=True) == before:
        return existing
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def coord_hook_commands(text: str) -> set[str]:
    """The coord hook commands a Claude Code settings text registers (for `coord doctor`)."""
    data = json.loads(text)
    commands: set[str] = set()
    for entries in (data.get("hooks") or {}).values():
        for entry in entries if isinstance(entries, list) else []:
            commands.update(c for c in _commands(entry) if c.startswith(CLAUDE_HOOK_PREFIX))
    return commands


def _with_coord_entries(current: Any, wanted: list[Any], where: str) -> list[Any]:
    if current is None:
        return list(wanted)
    if not isinstance(current, list):
        raise ConfigFileError(f"{where} is not a list; fix it by hand")
    others = [entry for entry in current if not _is_coord(entry)]
    first = next((i for i, entry in enumerate(current) if _is_coord(entry)), len(current))
    position = sum(1 for entry in current[:first] if not _is_coord(entry))
    return others[:position] + list(wanted) + others[position:]


def _is_coord(entry: Any) -> bool:
    return any(command.startswith(CLAUDE_HOOK_PREFIX) for command in _commands(entry))


def _commands(entry: Any) -> list[str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("hooks"), list):
        return []
    return [str(hook.get("command", "")) for hook in entry["hooks"] if isinstance(hook, dict)]


def _json_object(text: str, name: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "fix it, then run `coord init` again"
        ) from exc
    if not isinstance(data, dict):
        raise ConfigFileError(f"{name} must hold a JSON object; fix it by hand")
    return data


def _toml(text: str, name: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(
            f"{name} is not valid TOML ({exc}); fix it, then run `coord init` again"
        ) from exc


def _without_coord_tables(text: str, name: str) -> str:
    kept: list[str] = []
    inside = False
    found = False
    for line in text.splitlines(keepends=True):
        if _TOML_HEADER.match(line):
            inside = found = True
            continue
        if inside and _ANY_HEADER.match(line):
            inside = False
        if not inside:
            kept.append(line)
    if not found:
        raise ConfigFileError(
            f"{name} defines the coord server without a [mcp_servers.coord] table; "
            "edit that entry by hand (--force cannot reset it)"
        )
    return "".join(kept)
