"""The checks of `coord doctor`: each looks at one piece of the wiring and says how to fix it.

A check returns `Check` values and never raises for a broken setup: finding breakage is its job.
Repository checks need a checkout; service checks need only the target (URL and token).
"""

from __future__ import annotations

import json
import secrets
import shutil
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

from coord_cli import __version__, blocks, registrations
from coord_cli._failures import unauthorized_fix
from coord_cli._files import read_text
from coord_cli._git import Checkout
from coord_cli._templates import read_template
from coord_cli.git_hook import COMMIT_MSG_HOOK, HOOK_NAME, hook_state
from coord_cli.install import INSTALL_FIX
from coord_cli.local_config import CONFIG_FILE, LOCAL_ENV_FILE, RepoConfig
from coord_cli.target import Target
from coord_cli.wiring import CLAUDE_SETTINGS, TOOL_FILES, Tool
from coord_protocol.local_env import is_placeholder, parse_local_env

INIT_FIX = "run `coord init --tool <claude|codex|cursor>` in this checkout"
PROBE_TIMEOUT_SEC = 5.0


class Status(StrEnum):
    """Outcome of one check."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of `coord doctor`."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, str | None]:
        """The JSON form used by `--json`."""
        return {
            "name": self.name,
            "status": str(self.status),
            "detail": self.detail,
            "fix": self.fix,
        }


def ok(name: str, detail: str) -> Check:
    """A passed check."""
    return Check(name, Status.OK, detail)


def warn(name: str, detail: str, fix: str) -> Check:
    """A check that found something worth fixing that does not break coord."""
    return Check(name, Status.WARN, detail, fix)


def fail(name: str, detail: str, fix: str) -> Check:
    """A check that found something that breaks coord."""
    return Check(name, Status.FAIL, detail, fix)


# -- the repository ------------------------------------------------------------------------


def gitignore(checkout: Checkout) -> Check:
    """`.coordination/` is ignored by git, through coord's managed block."""
    text = read_text(checkout.top / ".gitignore") or ""
    if not checkout.is_ignored(LOCAL_ENV_FILE):
        return fail("gitignore", ".coordination/ is not ignored by git", INIT_FIX)
    if not blocks.has_block(text):
        return warn("gitignore", ".coordination/ is ignored, but not by coord's block", INIT_FIX)
    return ok("gitignore", ".coordination/ is ignored")


def local_env(checkout: Checkout) -> Iterator[Check]:
    """local.env exists, is private, untracked, and holds a real token and repo id."""
    path = checkout.top / LOCAL_ENV_FILE
    text = read_text(path)
    if text is None:
        yield fail("local.env", f"{LOCAL_ENV_FILE} is missing", INIT_FIX)
        return
    if checkout.is_tracked(LOCAL_ENV_FILE):
        yield fail(
            "local.env", "is tracked by git: its token is in the repository",
            f"`git rm --cached {LOCAL_ENV_FILE}`, commit, and rotate the token",
        )  # fmt: skip
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        yield warn(
            "local.env", f"readable by others (mode {mode:o})", f"chmod 600 {LOCAL_ENV_FILE}"
        )
    values = parse_local_env(text)
    if is_placeholder(values.get("COORD_AUTH_TOKEN")):
        yield fail(
            "local.env", "COORD_AUTH_TOKEN is missing or a placeholder",
            f"put the service's token into {LOCAL_ENV_FILE}",
        )  # fmt: skip
    elif is_placeholder(values.get("COORD_REPO_ID")):
        yield warn(
            "local.env", "COORD_REPO_ID is not set: claims go to the no-repo bucket", INIT_FIX
        )
    else:
        yield ok("local.env", f"token set, repo id {values['COORD_REPO_ID']}")


def repo_config(checkout: Checkout, config: RepoConfig | None) -> Check:
    """config.toml records how the checkout was wired."""
    if config is None:
        return warn("config.toml", f"{CONFIG_FILE} is missing", INIT_FIX)
    tools = ", ".join(config.tools) or "none"
    return ok("config.toml", f"{config.mode or 'local'} mode, tools: {tools}")


def tools_of(checkout: Checkout, config: RepoConfig | None) -> list[Tool]:
    """The tools to check: those config.toml names, else those whose registration exists."""
    named = [Tool(t) for t in (config.tools if config else ()) if t in set(Tool)]
    if named:
        return named
    return [
        tool for tool, files in TOOL_FILES.items() if (checkout.top / files.registration).exists()
    ]


def tool_wiring(checkout: Checkout, tool: Tool) -> Iterator[Check]:
    """The tool's MCP registration, protocol block and (Claude Code) hooks."""
    files = TOOL_FILES[tool]
    yield _registration(checkout.top, files.registration, f"{tool} mcp")
    yield _instructions(checkout.top, files.instructions, f"{tool} rules")
    if files.claude_hooks:
        yield _claude_hooks(checkout.top)


def commands_on_path(tools: list[Tool], hook_wanted: bool) -> Iterator[Check]:
    """The console scripts the wiring runs can be found."""
    if tools:
        yield _on_path("coord-mcp", "coord-mcp", INSTALL_FIX)
    if hook_wanted:
        yield _on_path("coord-hook", "coord-hook", INSTALL_FIX)


def pre_push_hook(checkout: Checkout) -> Check:
    """coord's pre-push hook is installed where git runs it, and can be run."""
    return _git_hook(checkout, HOOK_NAME, "pushes are not checked")


def commit_msg_hook(checkout: Checkout) -> Check:
    """coord's prepare-commit-msg hook, which writes the `Coord-Claim` trailers, is installed.

    Missing is a warning, not a failure: a checkout wired before the trailers existed pushes
    all the same, its commits only carry no trailers (SPEC §16)."""
    consequence = "commits carry no Coord-Claim trailers"
    if not hook_state(checkout.hooks_dir, COMMIT_MSG_HOOK).exists:
        where = f"not installed in {checkout.hooks_dir}: {consequence}"
        return warn(f"{COMMIT_MSG_HOOK} hook", where, INIT_FIX)
    return _git_hook(checkout, COMMIT_MSG_HOOK, consequence)


def _git_hook(checkout: Checkout, name: str, consequence: str) -> Check:
    label = f"{name} hook"
    state = hook_state(checkout.hooks_dir, name)
    if not state.exists:
        return fail(label, f"not installed in {checkout.hooks_dir}", INIT_FIX)
    if not state.ours:
        text = read_text(state.path) or ""
        if f"coord-hook {name}" in text:
            return ok(label, f"a custom hook that calls coord-hook {name}")
        return warn(
            label, f"another {name} hook is installed; {consequence}",
            f"`coord init --force` replaces it (backed up), or call coord-hook {name} from it",
        )  # fmt: skip
    if not state.executable:
        return fail(label, "installed but not executable", f"chmod +x {state.path}")
    return ok(label, str(state.path))


# -- the service ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """What the service said about itself, for the version check and `--live`."""

    reachable: bool
    version: str | None = None
    token_valid: bool = False


def service(target: Target, own_token: str | None = None) -> tuple[list[Check], ServiceFacts]:
    """The service answers `/readyz`, and accepts the token on `/whoami`.

    `own_token` is the token of the service `coord start` runs for this user (COORD_HOME): the
    operator token in a checkout is expected then, and only warned about otherwise.
    """
    try:
        ready = httpx.get(f"{target.api_url}/readyz", timeout=PROBE_TIMEOUT_SEC)
    except httpx.HTTPError as exc:
        check = fail(
            "service", f"{target.api_url} is unreachable ({type(exc).__name__})",
            "start it with `coord start --background`, or fix COORD_API_URL in local.env",
        )  # fmt: skip
        return [check], ServiceFacts(reachable=False)
    version_seen = _field(ready, "version")
    if ready.status_code != 200:
        check = fail(
            "service", f"{target.api_url}/readyz answered {ready.status_code}",
            "look at the service's log; it may be starting or its database unreachable",
        )  # fmt: skip
        return [check], ServiceFacts(reachable=False, version=version_seen)
    reachable = ok("service", f"{target.api_url} is ready (coord {version_seen})")
    token_check, valid = _token(target, own_token)
    return [reachable, token_check], ServiceFacts(True, version_seen, valid)


def versions(facts: ServiceFacts) -> Check:
    """coord-cli, coord-mcp, coord-hooks and the service run the same version."""
    seen = {"coord-cli": __version__, "service": facts.version}
    for package in ("coord-mcp", "coord-hooks"):
        try:
            seen[package] = version(package)
        except PackageNotFoundError:
            seen[package] = None
    known = {name: v for name, v in seen.items() if v}
    detail = ", ".join(f"{name} {v}" for name, v in known.items())
    if len(set(known.values())) > 1:
        return warn(
            "versions",
            detail,
            f"upgrade them together: {INSTALL_FIX}",
        )
    return ok("versions", detail)


def _token(target: Target, own_token: str | None) -> tuple[Check, bool]:
    if not target.token:
        return fail(
            "token",
            "no token configured",
            f"set COORD_AUTH_TOKEN in {LOCAL_ENV_FILE}; "
            + unauthorized_fix(None).split("; ", 1)[1],
        ), False
    headers = {"Authorization": f"Bearer {target.token}"}
    try:
        answer = httpx.get(f"{target.api_url}/whoami", headers=headers, timeout=PROBE_TIMEOUT_SEC)
    except httpx.HTTPError as exc:
        return fail(
            "token", f"/whoami failed ({type(exc).__name__})", "run coord doctor again"
        ), False
    if answer.status_code == 401:
        fix = unauthorized_fix(target.token_source)
        return fail("token", "the service refuses the token (401)", fix), False
    if answer.status_code != 200:
        return fail(
            "token", f"/whoami answered {answer.status_code}", "look at the service's log"
        ), False
    principal = _field(answer, "principal") or "unknown"
    if principal == "operator" and _shared_operator_token(target, own_token):
        return warn(
            "token",
            f"the operator token, from {target.token_source}: every agent of this checkout "
            "may act as anyone",
            "ask the operator for an engineer token (`coord tokens create ENGINEER --json`) "
            "and store it here with `coord init --token -`",
        ), True
    return ok("token", f"accepted as {principal} (from {target.token_source})"), True


def _shared_operator_token(target: Target, own_token: str | None) -> bool:
    """True when the token came from a checkout's local.env and is not this user's own service's.

    A single-user local service (`coord init --mode local`) keeps its operator token in the
    checkout by design; a shared service's operator token there lets any agent act as anyone.
    """
    from_checkout = target.local_env is not None and target.token_source == str(target.local_env)
    if not from_checkout or target.token is None:
        return False
    return own_token is None or not secrets.compare_digest(target.token, own_token)


def _registration(top: Path, relative: str, name: str) -> Check:
    text = read_text(top / relative)
    if text is None:
        return fail(name, f"{relative} is missing", INIT_FIX)
    try:
        entry = _server_entry(relative, text)
    except ValueError as exc:
        return fail(name, f"{relative} cannot be read ({exc})", f"fix {relative}, then {INIT_FIX}")
    if entry is None:
        return fail(name, f"{relative} registers no `coord` server", INIT_FIX)
    if entry.get("command") != "coord-mcp":
        return warn(
            name,
            f"{relative}: the coord server does not run coord-mcp",
            "`coord init --force` resets it",
        )
    return ok(name, f"{relative} registers coord-mcp")


def _server_entry(relative: str, text: str) -> dict[str, object] | None:
    if relative.endswith(".toml"):
        servers = tomllib.loads(text).get("mcp_servers", {})
    else:
        servers = json.loads(text).get("mcpServers", {})
    entry = servers.get(registrations.SERVER_NAME) if isinstance(servers, dict) else None
    return entry if isinstance(entry, dict) else None


def _instructions(top: Path, relative: str, name: str) -> Check:
    text = read_text(top / relative)
    if text is None:
        return fail(name, f"{relative} is missing", INIT_FIX)
    try:
        current = blocks.current_block(text, relative)
    except blocks.BlockError as exc:
        return fail(name, str(exc), "fix the markers")
    if current is None:
        return fail(name, f"{relative} has no coord protocol block", INIT_FIX)
    wanted = blocks.extract_block(read_template(relative))
    if current.replace("\r\n", "\n") != wanted:
        return warn(name, f"{relative}: the protocol block differs from this coord's", INIT_FIX)
    return ok(name, f"{relative} holds the protocol block")


def _claude_hooks(top: Path) -> Check:
    name = "claude hooks"
    text = read_text(top / CLAUDE_SETTINGS)
    if text is None:
        return fail(name, f"{CLAUDE_SETTINGS} is missing", INIT_FIX)
    try:
        found = registrations.coord_hook_commands(text)
    except (ValueError, AttributeError) as exc:
        return fail(name, f"{CLAUDE_SETTINGS} cannot be read ({exc})", f"fix {CLAUDE_SETTINGS}")
    wanted = registrations.coord_hook_commands(read_template(CLAUDE_SETTINGS))
    missing = sorted(wanted - found)
    if missing:
        return fail(name, f"missing: {', '.join(missing)}", INIT_FIX)
    return ok(name, "session-start, pre-tool-use and session-end are registered")


def _on_path(name: str, command: str, install: str) -> Check:
    found = shutil.which(command)
    if found is None:
        return fail(name, f"`{command}` is not on PATH", install)
    return ok(name, found)


def _field(response: httpx.Response, key: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(key) if isinstance(body, dict) else None
    return str(value) if value is not None else None
