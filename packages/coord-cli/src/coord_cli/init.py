"""`coord init`: wire the current checkout for an agent tool (SPEC §11).

Running it again changes nothing unless something drifted: managed blocks are rewritten when
edited, tool configuration keeps everyone else's entries, the token file stays 0600. It asks
questions only when a person is at the terminal and `--yes` is absent.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from coord_cli import _server, checkouts
from coord_cli._files import WRITES, Action, FileChange, apply
from coord_cli._git import Checkout, require_checkout
from coord_cli._output import emit_json, error_console, say, warn
from coord_cli.errors import CliError, ExitCode
from coord_cli.given_token import FROM_STDIN, GivenToken, read_given_token
from coord_cli.home import CoordHome
from coord_cli.local_config import (
    CONFIG_FILE,
    LOCAL_ENV_FILE,
    RepoConfig,
    merged_tools,
    read_repo_config,
)
from coord_cli.wiring import (
    PLACEHOLDER_TOKEN,
    Mode,
    Service,
    Tool,
    Wiring,
    detect_repo_id,
    plan,
    plan_token,
)
from coord_protocol.errors import CoordError
from coord_protocol.local_env import DEFAULT_API_URL, is_placeholder, read_local_env


def init(
    tool: Annotated[
        Tool | None, typer.Option(help="Agent tool to wire: claude, codex or cursor.")
    ] = None,
    mode: Annotated[
        Mode | None,
        typer.Option(help="local: the service `coord start` runs here; remote: a shared one."),
    ] = None,
    service_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="URL of the coord service (for --mode remote)."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask anything.")] = False,
    no_hook: Annotated[bool, typer.Option("--no-hook", help="Leave git hooks alone.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace foreign pre-push and prepare-commit-msg hooks (backed up); reset "
            "coord's MCP entry.",
        ),
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            metavar="TOKEN",
            help="Store this engineer token in .coordination/local.env; `-` reads it from stdin "
            "(the token, or the output of `coord tokens create --json`).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Wire this git checkout for an agent tool.

    Writes the MCP registration, the protocol block of the agent's
    instructions, the gitignored .coordination/ files, the pre-push and
    prepare-commit-msg hooks (and Claude Code's hooks). Tracked files hold
    placeholders only; the token goes into .coordination/local.env (mode 0600).
    For --mode remote the token is read from COORD_AUTH_TOKEN (or asked for);
    --token - reads an engineer token from stdin, and without --tool only
    stores it.
    Running it again changes nothing that is already right.
    """
    checkout = require_checkout(Path.cwd())
    interactive = not yes and sys.stdin.isatty()
    given = _given_token(token) if token is not None else None
    previous = read_repo_config(checkout.top / CONFIG_FILE) or RepoConfig()
    if given is not None and tool is None:
        _store_token(checkout, given, service_url, previous, json_output)
        return
    chosen_tool = tool or _ask_tool(interactive)
    chosen_mode = _mode(mode, previous)
    service = _service(chosen_mode, service_url, previous, checkout, interactive, given)
    config = RepoConfig(
        mode=str(service.mode),
        service_url=service.url,
        tools=merged_tools(previous.tools, str(chosen_tool)),
        ownership_file=previous.ownership_file,
    )
    wiring = Wiring(
        checkout, chosen_tool, service, detect_repo_id(checkout), config, force, not no_hook
    )
    changes = plan(wiring)
    if interactive and any(change.action in WRITES for change in changes):
        _confirm(changes)
    for change in changes:
        apply(change)
    registration = _register_checkout(wiring)
    _report(wiring, changes, registration, json_output)


def _given_token(value: str) -> GivenToken:
    if value == FROM_STDIN and sys.stdin.isatty():
        typed = typer.prompt("Engineer token (input hidden)", hide_input=True, err=True)
        return read_given_token(typed, sys.stdin)
    return read_given_token(value, sys.stdin)


def _store_token(
    checkout: Checkout,
    given: GivenToken,
    service_url: str | None,
    previous: RepoConfig,
    json_output: bool,
) -> None:
    """`--token` without `--tool`: only the token (and the gitignore block) is written."""
    url = _checked_url(service_url or previous.service_url or _local_service_url())
    repo_id = detect_repo_id(checkout)
    changes = plan_token(checkout.top, given.token, repo_id, url, service_url is not None)
    for change in changes:
        apply(change)
    notes = _token_notes(checkout, given, previous)
    if json_output:
        emit_json(
            {"checkout": str(checkout.top), "local_env": LOCAL_ENV_FILE,
             "engineer": given.engineer, "repo": given.repo, "notes": notes,
             "files": [{"path": c.shown, "action": str(c.action)} for c in changes]}
        )  # fmt: skip
        return
    who = f" for {given.engineer}" if given.engineer else ""
    say(f"Stored the token{who} in {LOCAL_ENV_FILE} (mode 600, gitignored).", style="bold")
    for note in notes:
        warn(note)
    say("Next:")
    say("  coord doctor")


def _token_notes(checkout: Checkout, given: GivenToken, previous: RepoConfig) -> list[str]:
    stored = read_local_env(checkout.top / LOCAL_ENV_FILE)
    notes = []
    repo = stored.get("COORD_REPO_ID")
    if given.repo and repo and repo != given.repo:
        notes.append(
            f"the token is bound to repo {given.repo}, but this checkout is {repo}: the service "
            f"will refuse its claims; ask for a token created with `--repo {repo}`"
        )
    name, where = _acting_name(checkout, stored)
    if given.engineer and name and not is_own(name, given.engineer):
        notes.append(
            f"agents here act as {name} ({where}), which a token of {given.engineer} may not "
            f"act as: set COORD_USER={given.engineer}/<tool>/<checkout> in {LOCAL_ENV_FILE}, "
            "or ask for a token of that name"
        )
    if not previous.tools:
        notes.append("no agent tool is wired here yet: run `coord init --tool claude` (or codex)")
    return notes


def _acting_name(checkout: Checkout, stored: dict[str, str]) -> tuple[str | None, str]:
    """Who the hooks act as here, derived as they do: COORD_USER, else the person from git."""
    user = stored.get("COORD_USER")
    if not is_placeholder(user):
        return str(user).strip(), f"COORD_USER in {LOCAL_ENV_FILE}"
    email = (checkout.config_value("user.email") or "").partition("@")[0].strip()
    if email:
        return email, "git's user.email"
    name = checkout.config_value("user.name")
    if name:
        return name, "git's user.name"
    return os.environ.get("USER") or None, "$USER"


def is_own(name: str, engineer: str) -> bool:
    """Whether a token of `engineer` may act as `name`: the same, or a name beneath it."""
    return name == engineer or name.startswith(engineer.rstrip("/") + "/")


def _local_service_url() -> str:
    record = CoordHome.from_env(os.environ).read_server()
    return record.api_url if record is not None else DEFAULT_API_URL


@dataclass(frozen=True, slots=True)
class Registration:
    """What became of telling the local service where this checkout is."""

    registered: bool
    note: str | None = None


def _register_checkout(wiring: Wiring) -> Registration:
    """Tell the local service where this repo's checkout is; a note when it cannot be told.

    Only a local service: its machine is this one, so the path means the same to it. Remote
    services learn their checkouts from COORD_REPO_ROOTS, set by their operator.
    """
    service = wiring.service
    # Registering is the operator's: the local service's own token, whatever local.env holds.
    operator_token = CoordHome.from_env(os.environ).read_token()
    if service.mode is not Mode.LOCAL or operator_token is None or not _local_running():
        return Registration(registered=False)
    try:
        checkouts.register(service.url, operator_token, wiring.repo_id, wiring.checkout.top)
    except CoordError as exc:
        return Registration(False, f"the local service did not register this checkout: {exc}")
    return Registration(registered=True)


def _ask_tool(interactive: bool) -> Tool:
    if not interactive:
        raise CliError(
            "which agent tool should be wired?",
            "pass --tool claude, --tool codex or --tool cursor",
            ExitCode.USAGE,
        )
    answer = typer.prompt("Agent tool (claude, codex, cursor)", default="claude", err=True)
    try:
        return Tool(answer.strip().lower())
    except ValueError:
        raise CliError(
            f"unknown tool {answer!r}", "choose claude, codex or cursor", ExitCode.USAGE
        ) from None


def _mode(mode: Mode | None, previous: RepoConfig) -> Mode:
    if mode is not None:
        return mode
    return Mode.REMOTE if previous.mode == Mode.REMOTE else Mode.LOCAL


def _service(
    mode: Mode,
    url: str | None,
    previous: RepoConfig,
    checkout: Checkout,
    interactive: bool,
    given: GivenToken | None,
) -> Service:
    if mode is Mode.LOCAL:
        local = _local_service(url)
        return local if given is None else Service(Mode.LOCAL, local.url, given.token, True)
    chosen = url or (previous.service_url if previous.mode == Mode.REMOTE else None)
    if not chosen and interactive:
        chosen = typer.prompt("URL of the coord service", err=True)
    if not chosen:
        raise CliError(
            "--mode remote needs the service's URL",
            "pass --service-url https://coord.example.com",
            ExitCode.USAGE,
        )
    token, is_new = (given.token, True) if given else _remote_token(checkout, interactive)
    return Service(Mode.REMOTE, _checked_url(chosen), token, is_new)


def _local_service(url: str | None) -> Service:
    token = CoordHome.from_env(os.environ).ensure_token()  # a later `coord start` uses it too
    return Service(Mode.LOCAL, _checked_url(url or _local_service_url()), token, True)


def _remote_token(checkout: Checkout, interactive: bool) -> tuple[str | None, bool]:
    exported = os.environ.get("COORD_AUTH_TOKEN", "").strip()
    if not is_placeholder(exported):
        return exported, True
    current = _current_token(checkout)
    if current:
        return current, False
    if interactive:
        given = typer.prompt(
            "Token for the service (input hidden; Enter to fill it in later)",
            default="", show_default=False, hide_input=True, err=True,
        )  # fmt: skip
        if not is_placeholder(given):
            return given.strip(), True
    return None, False


def _current_token(checkout: Checkout) -> str | None:
    try:
        token = read_local_env(checkout.top / LOCAL_ENV_FILE).get("COORD_AUTH_TOKEN")
    except (OSError, UnicodeDecodeError):
        return None
    return None if is_placeholder(token) else token


def _checked_url(url: str) -> str:
    cleaned = url.strip().rstrip("/")
    if not cleaned.startswith(("http://", "https://")) or len(cleaned.split("//", 1)[1]) == 0:
        raise CliError(
            f"service URL {url!r} is not an http(s) URL",
            "pass e.g. --service-url https://coord.example.com",
            ExitCode.USAGE,
        )
    return cleaned


def _confirm(changes: list[FileChange]) -> None:
    stderr = error_console()
    stderr.print("coord init will:")
    for change in changes:
        if change.action in WRITES or change.action is Action.KEEP:
            stderr.print(f"  {_verb(change)} {change.shown}")
    if not typer.confirm("Go ahead?", default=True, err=True):
        raise CliError("nothing was changed", None, ExitCode.FAILED)


def _verb(change: FileChange) -> str:
    return {
        Action.CREATE: "create ",
        Action.UPDATE: "update ",
        Action.REPLACE: "replace",
        Action.KEEP: "keep   ",
    }.get(change.action, "       ")


def _report(
    wiring: Wiring, changes: list[FileChange], registration: Registration, json_output: bool
) -> None:
    to_commit = [c.shown for c in changes if c.tracked and c.action in WRITES]
    notes = _notes(wiring, changes) + ([registration.note] if registration.note else [])
    if json_output:
        emit_json(
            {**_as_json(wiring, changes, to_commit, notes),
             "checkout_registered": registration.registered}
        )  # fmt: skip
        return
    service = wiring.service
    say(
        f"Wired {wiring.checkout.top} for {wiring.tool} "
        f"({service.mode} service {service.url}, repo id {wiring.repo_id}).",
        style="bold",
    )
    for change in changes:
        line = f"  {change.action.value:<10} {change.shown}"
        say(line + (f"  ({change.note})" if change.note else ""))
    if registration.registered:
        bucket = wiring.repo_id or checkouts.NO_REPO
        say(f"  registered this checkout for {bucket} with the local service")
    for note in notes:
        warn(note)
    say("Next:")
    if to_commit:
        say(f"  git add {' '.join(to_commit)} && git commit -m 'Wire coord'")
    say("  coord doctor")


def _notes(wiring: Wiring, changes: list[FileChange]) -> list[str]:
    notes = []
    if wiring.service.token is None and _token_missing(wiring):
        notes.append(
            f"no token yet: set COORD_AUTH_TOKEN in {LOCAL_ENV_FILE} "
            f"(it holds `{PLACEHOLDER_TOKEN}` now)"
        )
    if wiring.service.mode is Mode.LOCAL and not _local_running():
        notes.append(
            "the local service is not running: start it with `coord start --background`, then "
            "run `coord init` again so that it learns where this checkout is"
        )
    notes.extend(c.note for c in changes if c.action is Action.KEEP and c.note)
    return notes


def _token_missing(wiring: Wiring) -> bool:
    return _current_token(wiring.checkout) is None


def _local_running() -> bool:
    record = CoordHome.from_env(os.environ).read_server()
    return record is not None and _server.is_alive(record.pid)


def _as_json(
    wiring: Wiring, changes: list[FileChange], to_commit: list[str], notes: list[str]
) -> dict[str, object]:
    return {
        "checkout": str(wiring.checkout.top),
        "tool": str(wiring.tool),
        "mode": str(wiring.service.mode),
        "service_url": wiring.service.url,
        "repo_id": wiring.repo_id,
        "files": [
            {"path": c.shown, "action": str(c.action), "tracked": c.tracked, "note": c.note}
            for c in changes
        ],
        "to_commit": to_commit,
        "notes": notes,
    }
