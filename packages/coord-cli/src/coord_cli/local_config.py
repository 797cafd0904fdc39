"""The gitignored per-checkout files: `.coordination/config.toml` and `.coordination/local.env`.

`config.toml` says how the checkout was wired (mode, service URL, tools); `coord init` rewrites
it from the template, carrying the tools of earlier runs forward. `local.env` holds the token:
an existing file is updated line by line, so comments and keys a person added stay.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from coord_cli.errors import CliError, ExitCode
from coord_protocol.local_env import parse_local_env

COORDINATION_DIR = ".coordination"
CONFIG_FILE = f"{COORDINATION_DIR}/config.toml"
LOCAL_ENV_FILE = f"{COORDINATION_DIR}/local.env"
OWNERS_FILE = f"{COORDINATION_DIR}/owners.yaml"

_PLAIN = re.compile(r"[^\s#'\"\\]+")


@dataclass(frozen=True, slots=True)
class RepoConfig:
    """What `.coordination/config.toml` records."""

    mode: str | None = None
    """`local` or `remote`."""
    service_url: str | None = None
    """URL of the coord service."""
    tools: tuple[str, ...] = ()
    """Agent tools wired so far."""
    ownership_file: str = OWNERS_FILE
    """Path of owners.yaml, relative to the checkout."""


def read_repo_config(path: Path) -> RepoConfig | None:
    """The recorded configuration, or None when the file does not exist."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CliError(
            f"cannot read {path} ({exc})",
            "fix or delete it; `coord init` writes a new one",
            ExitCode.NOT_CONFIGURED,
        ) from exc
    tools = data.get("tools", [])
    return RepoConfig(
        mode=_text(data.get("mode")),
        service_url=_text(data.get("service_url")),
        tools=tuple(str(tool) for tool in tools) if isinstance(tools, list) else (),
        ownership_file=_text(data.get("ownership_file")) or OWNERS_FILE,
    )


def render_repo_config(template: str, config: RepoConfig) -> str:
    """The config.toml text for `config`."""
    values = {
        "mode": config.mode or "local",
        "service_url": config.service_url or "",
        "ownership_file": config.ownership_file,
    }
    text = template
    for key, value in values.items():
        text = text.replace(f'"{{{{{key}}}}}"', _toml_string(value))
    return text.replace("{{tools}}", ", ".join(_toml_string(tool) for tool in config.tools))


def merged_tools(previous: Iterable[str], tool: str) -> tuple[str, ...]:
    """The tools of earlier runs plus `tool`, in a stable order."""
    return tuple(sorted({*previous, tool}))


def render_local_env(template: str, values: Mapping[str, str]) -> str:
    """A new local.env from the template; `values` fill `{{api_url}}`, `{{token}}` and so on."""
    text = template
    for key, value in values.items():
        text = text.replace(f"{{{{{key}}}}}", env_value(value))
    return text


def update_local_env(text: str, updates: Mapping[str, str]) -> str:
    """`text` with each key of `updates` set: changed in place, or appended when absent."""
    lines = text.splitlines(keepends=True)
    seen: set[str] = set()
    for index, line in enumerate(lines):
        parsed = parse_local_env(line)
        key = next(iter(parsed), None)
        if key is None or key not in updates:
            continue
        seen.add(key)
        if parsed[key] != updates[key]:
            prefix = "export " if line.lstrip().startswith("export ") else ""
            ending = "\r\n" if line.endswith("\r\n") else "\n"
            lines[index] = f"{prefix}{key}={env_value(updates[key])}{ending}"
    missing = [key for key in updates if key not in seen]
    if missing and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.extend(f"{key}={env_value(updates[key])}\n" for key in missing)
    return "".join(lines)


def env_value(value: str) -> str:
    """`value` as it must be written in local.env so that it reads back unchanged."""
    if "\n" in value or "\r" in value:
        raise CliError(
            "a local.env value cannot span lines", "check the URL, token and repo id given"
        )
    if _PLAIN.fullmatch(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise CliError(
        "a local.env value cannot hold both kinds of quotes",
        "use a token without quote characters",
    )


def _toml_string(value: str) -> str:
    # A JSON string literal is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
