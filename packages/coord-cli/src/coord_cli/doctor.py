"""`coord doctor [--live]`: every piece of the wiring, one OK/WARN/FAIL line each (SPEC §11)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from coord_cli import checks
from coord_cli._git import Checkout, find_checkout
from coord_cli._output import STATUS_STYLES, console, emit_json, say
from coord_cli.checks import Check, Status
from coord_cli.errors import ExitCode
from coord_cli.home import CoordHome
from coord_cli.live import run_live
from coord_cli.local_config import CONFIG_FILE, read_repo_config
from coord_cli.target import resolve_target


def doctor(
    live: Annotated[
        bool,
        typer.Option(
            "--live", help="Also stage a real collision of two throwaway engineers (cleaned up)."
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the wiring of this checkout and the service.

    Prints one OK/WARN/FAIL line per check, with a fix for each problem.
    Exits 1 when any check fails.
    """
    cwd = Path.cwd()
    checkout = find_checkout(cwd)
    home = CoordHome.from_env(os.environ)
    target = resolve_target(os.environ, cwd, home)
    results = _repository(checkout) if checkout else [_outside(cwd)]
    service_checks, facts = checks.service(target, home.read_token())
    results += [*service_checks, checks.versions(facts)]
    if live:
        results += run_live(target, checkout) if facts.token_valid else [_live_skipped()]
    _show(results, json_output)
    if any(result.status is Status.FAIL for result in results):
        raise typer.Exit(ExitCode.FAILED)


def _repository(checkout: Checkout) -> list[Check]:
    config = read_repo_config(checkout.top / CONFIG_FILE)
    tools = checks.tools_of(checkout, config)
    results = [
        checks.ok("checkout", str(checkout.top)),
        checks.gitignore(checkout),
        *checks.local_env(checkout),
        checks.repo_config(checkout, config),
    ]
    if not tools:
        results.append(checks.fail("tools", "no agent tool is wired here", checks.INIT_FIX))
    for tool in tools:
        results.extend(checks.tool_wiring(checkout, tool))
    hook = checks.pre_push_hook(checkout)
    results += [
        *checks.commands_on_path(tools, hook.status is not Status.WARN),
        hook,
        checks.commit_msg_hook(checkout),
    ]
    return results


def _outside(cwd: Path) -> Check:
    return checks.fail(
        "checkout",
        f"{cwd} is not inside a git checkout",
        "run coord doctor in the wired repository",
    )


def _live_skipped() -> Check:
    return checks.fail(
        "live", "skipped: the service is unreachable or refuses the token",
        "fix the service and token checks above first",
    )  # fmt: skip


def _show(results: list[Check], json_output: bool) -> None:
    failures = sum(result.status is Status.FAIL for result in results)
    warnings = sum(result.status is Status.WARN for result in results)
    if json_output:
        emit_json(
            {
                "ok": failures == 0,
                "failures": failures,
                "warnings": warnings,
                "checks": [result.to_json() for result in results],
            }
        )
        return
    out = console()
    width = max(len(result.name) for result in results)
    for result in results:
        out.print(f"{result.status.value:<4}", style=STATUS_STYLES[result.status.value], end=" ")
        out.print(f"{result.name:<{width}}  {result.detail}", soft_wrap=True)
        if result.fix:
            out.print(f"     fix: {result.fix}", soft_wrap=True)
    say(_summary(len(results), failures, warnings))


def _summary(total: int, failures: int, warnings: int) -> str:
    if not failures and not warnings:
        return f"All {total} checks passed."
    return f"{failures} failed, {warnings} warning(s), {total - failures - warnings} passed."
