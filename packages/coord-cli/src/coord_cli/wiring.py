"""What `coord init` writes for each agent tool, planned as file changes (SPEC §11).

Tracked files carry placeholders only; the real URL, token and repo id go into the gitignored
`.coordination/local.env`. The `.gitignore` block comes first in the plan, so `.coordination/` is
ignored before anything is written into it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from coord_cli import blocks, registrations, repo_id
from coord_cli._files import (
    Action,
    FileChange,
    plan_secret,
    plan_text,
    read_secret,
    read_text,
    refuse_links,
)
from coord_cli._git import Checkout
from coord_cli._templates import GIT_HOOKS_DIR, GITIGNORE_BLOCK, read_template
from coord_cli.errors import CliError, ExitCode
from coord_cli.git_hook import HOOK_NAMES, plan_hook
from coord_cli.local_config import (
    CONFIG_FILE,
    LOCAL_ENV_FILE,
    RepoConfig,
    render_local_env,
    render_repo_config,
    update_local_env,
)
from coord_protocol.local_env import is_placeholder, parse_local_env

PLACEHOLDER_TOKEN = "set-me"  # noqa: S105 - the documented placeholder, not a secret


class Tool(StrEnum):
    """Agent tools `coord init` can wire."""

    CLAUDE = "claude"
    CODEX = "codex"
    CURSOR = "cursor"


class Mode(StrEnum):
    """Where the coord service runs."""

    LOCAL = "local"
    """On this machine, started with `coord start`."""
    REMOTE = "remote"
    """A shared service at `--service-url`."""


@dataclass(frozen=True, slots=True)
class ToolFiles:
    """The tracked files of one tool."""

    registration: str
    """The MCP registration, relative to the checkout."""
    instructions: str
    """The file holding the protocol block."""
    claude_hooks: bool = False
    """Whether `.claude/settings.json` gets coord's hooks."""


TOOL_FILES = {
    Tool.CLAUDE: ToolFiles(".mcp.json", "CLAUDE.md", claude_hooks=True),
    Tool.CODEX: ToolFiles(".codex/config.toml", "AGENTS.md"),
    Tool.CURSOR: ToolFiles(".cursor/mcp.json", ".cursor/rules/coord.mdc"),
}
CLAUDE_SETTINGS = ".claude/settings.json"


@dataclass(frozen=True, slots=True)
class Service:
    """The service a checkout is wired to."""

    mode: Mode
    url: str
    token: str | None
    """None when no token is known yet (remote mode without one)."""
    token_is_new: bool
    """True when `token` must replace whatever local.env holds (local token, one just given)."""


@dataclass(frozen=True, slots=True)
class Wiring:
    """Everything one `coord init` run decides before it writes."""

    checkout: Checkout
    tool: Tool
    service: Service
    repo_id: str
    config: RepoConfig
    force: bool
    install_hook: bool


def detect_repo_id(checkout: Checkout) -> str:
    """The repo id from `origin` (ssh or https), else the main checkout's directory name."""
    url = checkout.origin_url()
    found = repo_id.from_remote_url(url) if url else None
    return found or repo_id.from_directory(checkout.main_top.name)


def plan(wiring: Wiring) -> list[FileChange]:
    """Every file change of the run, in the order they must happen."""
    top = wiring.checkout.top
    files = TOOL_FILES[wiring.tool]
    try:
        changes = [
            _block_file(top, ".gitignore", GITIGNORE_BLOCK),
            _registration(top, files.registration, wiring.force),
            _block_file(top, files.instructions, files.instructions),
            *([_claude_settings(top)] if files.claude_hooks else []),
            _repo_config(top, wiring.config),
            _local_env(top, wiring),
            _owners(top, wiring.config.ownership_file),
        ]
    except (blocks.BlockError, registrations.ConfigFileError) as exc:
        raise CliError(str(exc), None, ExitCode.FAILED) from exc
    if wiring.install_hook:
        changes += [_hook(wiring, name) for name in HOOK_NAMES]
    return changes


def _block_file(top: Path, relative: str, template_name: str) -> FileChange:
    path = top / relative
    template = read_template(template_name)
    existing = read_text(path)
    if existing is None and template_name != GITIGNORE_BLOCK:
        return plan_text(path, relative, template)  # the template is the whole new file
    merged = blocks.merge_block(existing, blocks.extract_block(template), relative)
    return plan_text(path, relative, merged)


def _registration(top: Path, relative: str, force: bool) -> FileChange:
    path = top / relative
    template = read_template(relative)
    existing = read_text(path)
    if relative.endswith(".toml"):
        text = registrations.merge_toml_server(existing, template, relative, force)
    else:
        text = registrations.merge_json_server(existing, template, relative, force)
    return plan_text(path, relative, text)


def _claude_settings(top: Path) -> FileChange:
    path = top / CLAUDE_SETTINGS
    template = read_template(CLAUDE_SETTINGS)
    merged = registrations.merge_claude_hooks(read_text(path), template, CLAUDE_SETTINGS)
    return plan_text(path, CLAUDE_SETTINGS, merged)


def _repo_config(top: Path, config: RepoConfig) -> FileChange:
    text = render_repo_config(read_template(CONFIG_FILE), config)
    return plan_text(top / CONFIG_FILE, CONFIG_FILE, text, tracked=False)


def _local_env(top: Path, wiring: Wiring) -> FileChange:
    path = top / LOCAL_ENV_FILE
    service = wiring.service
    refuse_links(path)
    existing = read_secret(path)
    if existing is None:
        values = {
            "api_url": service.url,
            "token": service.token or PLACEHOLDER_TOKEN,
            "repo_id": wiring.repo_id,
        }
        text = render_local_env(read_template(LOCAL_ENV_FILE), values)
    else:
        text = update_local_env(existing, _env_updates(parse_local_env(existing), wiring))
    return plan_secret(path, LOCAL_ENV_FILE, text)


def _env_updates(current: dict[str, str], wiring: Wiring) -> dict[str, str]:
    service = wiring.service
    updates = {"COORD_API_URL": service.url}
    if service.token and (service.token_is_new or is_placeholder(current.get("COORD_AUTH_TOKEN"))):
        updates["COORD_AUTH_TOKEN"] = service.token
    elif "COORD_AUTH_TOKEN" not in current:
        updates["COORD_AUTH_TOKEN"] = PLACEHOLDER_TOKEN
    if is_placeholder(current.get("COORD_REPO_ID")):
        updates["COORD_REPO_ID"] = wiring.repo_id  # a repo id someone set by hand stays
    return updates


def plan_token(top: Path, token: str, repo_id: str, url: str, url_given: bool) -> list[FileChange]:
    """`coord init --token` without `--tool`: the gitignore block, then the token in local.env.

    An existing local.env keeps its other lines (its URL too, unless `url_given`); a new one is
    made from the template for `url` and `repo_id`.
    """
    path = top / LOCAL_ENV_FILE
    refuse_links(path)
    existing = read_secret(path)
    if existing is None:
        values = {"api_url": url, "token": token, "repo_id": repo_id}
        existing = render_local_env(read_template(LOCAL_ENV_FILE), values)
    updates = {"COORD_AUTH_TOKEN": token, **({"COORD_API_URL": url} if url_given else {})}
    return [
        _block_file(top, ".gitignore", GITIGNORE_BLOCK),
        plan_secret(path, LOCAL_ENV_FILE, update_local_env(existing, updates)),
    ]


def _owners(top: Path, relative: str) -> FileChange:
    path = top / relative
    if path.exists():
        return FileChange(path, relative, Action.UNCHANGED, tracked=False)
    return plan_text(path, relative, read_template(".coordination/owners.yaml"), tracked=False)


def _hook(wiring: Wiring, name: str) -> FileChange:
    hooks_dir = wiring.checkout.hooks_dir
    path = hooks_dir / name
    try:
        shown = os.path.relpath(path, wiring.checkout.top)
    except ValueError:
        shown = str(path)
    if shown.startswith(".."):
        shown = str(path)
    template = read_template(f"{GIT_HOOKS_DIR}/{name}")
    return plan_hook(hooks_dir, shown, template, wiring.force, name)
