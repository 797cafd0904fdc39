"""Console entry point `coord-hook`: the git pre-push hook, Claude Code hooks and the CI check.

The hooks install with `coord init`; each subcommand's `--help` says how git, Claude Code or CI
calls it. An unexpected error ends here: the pre-push hook treats it like a service it cannot
ask (enforce blocks, advise warns), the Claude hooks and prepare-commit-msg let the agent or
the commit continue, CI reports it.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from coord_hooks import claude

_DESCRIPTION = "Enforcement points of coord: git pre-push, Claude Code hooks, CI check."


def main(argv: Sequence[str] | None = None) -> int:
    """Run `coord-hook` with `argv` (default: the process arguments); returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except Exception as exc:  # the boundary: report it and choose the safe outcome
        return _unexpected(args.command, exc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coord-hook", description=_DESCRIPTION)
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_pre_push(commands)
    _add_prepare_commit_msg(commands)
    _add_claude(commands)
    _add_ci(commands)
    return parser


def _add_pre_push(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "git pre-push hook: refuse pushes of files others have claimed"
    command = commands.add_parser(
        "pre-push",
        help=help_text,
        description=f"{help_text}. git passes the remote and its URL as arguments and the "
        "pushed refs on stdin. COORD_PREPUSH_MODE=advise turns refusals into warnings.",
    )
    command.add_argument("remote", nargs="?", help="name of the remote pushed to")
    command.add_argument("url", nargs="?", help="URL of the remote (unused)")
    command.set_defaults(handler=_pre_push)


def _add_prepare_commit_msg(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "git prepare-commit-msg hook: a Coord-Claim trailer per claim the commit is under"
    command = commands.add_parser(
        "prepare-commit-msg",
        help=help_text,
        description=f"{help_text}. git passes the message file, its source and a commit id. "
        "Never stops a commit; merge and squash messages are left alone.",
    )
    command.add_argument("message_file", help="the commit message file git is preparing")
    command.add_argument("source", nargs="?", help="message, template, merge, squash or commit")
    command.add_argument("commit", nargs="?", help="the commit the message comes from (unused)")
    command.set_defaults(handler=_prepare_commit_msg)


def _add_claude(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "Claude Code hooks: session start, edit guard, session end"
    command = commands.add_parser(
        "claude",
        help=help_text,
        description=f"{help_text}. Claude Code passes the event as JSON on stdin.",
    )
    command.add_argument("event", choices=claude.EVENTS, help="the hook event to handle")
    command.set_defaults(handler=_claude)


def _add_ci(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    help_text = "CI check: a pull request's changed files against active claims"
    command = commands.add_parser(
        "ci",
        help=help_text,
        description=f"{help_text}. Exit status 1 when another engineer holds a changed file, "
        "2 when the check cannot run.",
    )
    command.add_argument("--base", required=True, help="branch merged into, e.g. origin/main")
    command.add_argument("--head", default="HEAD", help="the pull request's commit (HEAD)")
    command.add_argument("--engineer", help="whose claims do not count (default: COORD_USER)")
    command.set_defaults(handler=_ci)


# Each command imports its module when it runs: an agent's Bash and edit hooks start a process
# per tool call, and need neither the push check nor the CI check.


def _pre_push(args: argparse.Namespace) -> int:
    from coord_hooks import pre_push  # noqa: PLC0415

    remote = [args.remote] if args.remote else []
    return pre_push.run(remote, sys.stdin, sys.stderr, os.environ, Path.cwd())


def _prepare_commit_msg(args: argparse.Namespace) -> int:
    from coord_hooks import commit_msg  # noqa: PLC0415

    given = [args.message_file, *([args.source] if args.source else [])]
    return commit_msg.run(given, sys.stderr, os.environ, Path.cwd())


def _claude(args: argparse.Namespace) -> int:
    return claude.run(args.event, sys.stdin, sys.stdout, sys.stderr, os.environ)


def _ci(args: argparse.Namespace) -> int:
    from coord_hooks import ci  # noqa: PLC0415

    check = ci.CiCheck(base=args.base, head=args.head, engineer=args.engineer)
    return ci.run(check, os.environ, Path.cwd(), sys.stdout, sys.stderr)


def _unexpected(command: str, exc: Exception) -> int:
    sys.stderr.write(f"coord-hook {command}: unexpected error: {type(exc).__name__}: {exc}\n")
    if os.environ.get("COORD_HOOK_DEBUG"):
        traceback.print_exc()
    else:
        sys.stderr.write("Set COORD_HOOK_DEBUG=1 to see the traceback.\n")
    if command in ("claude", "prepare-commit-msg"):
        return 0
    from coord_hooks import ci, pre_push  # noqa: PLC0415

    if command == "pre-push" and os.environ.get("COORD_PREPUSH_MODE", "").lower() == "advise":
        return pre_push.ALLOW
    if command == "pre-push":
        sys.stderr.write(f"To push anyway: {pre_push.BYPASS}\n")
        return pre_push.BLOCK
    return ci.CANNOT_CHECK


class _Version(argparse.Action):
    """`--version`, looked up only when asked: reading package metadata costs every hook call
    ~10 ms, and argparse's own version action formats its text when the parser is built."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        parser.exit(message=f"{parser.prog} {_version()}\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("coord-hooks")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
