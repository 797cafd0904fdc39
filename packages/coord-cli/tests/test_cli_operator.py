"""Operator commands against a real service: claims, release, engineers stale, outbox, errors."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import Service

pytestmark = pytest.mark.slow


def _claim(
    service: Service, engineer: str, repo: str, *patterns: str, **extra: Any
) -> httpx.Response:
    body = {
        "engineer": engineer,
        "repo": repo,
        "claims": [{"pattern": p} for p in patterns],
        **extra,
    }
    headers = {"Authorization": f"Bearer {service.token}"}
    return httpx.post(f"{service.url}/claims", json=body, headers=headers, timeout=60)


def test_claims_lists_filters_and_prints_patterns_literally(cli_service: Service) -> None:
    assert _claim(cli_service, "bob/claude/main", "acme/web", "src/[ab].ts").status_code == 200
    assert _claim(cli_service, "cy/codex/main", "acme/api", "api/**").status_code == 200

    every = cli_service.user.coord("claims", "--all", "--json")
    assert every.returncode == 0, every.stderr
    patterns = {row["pattern"] for row in json.loads(every.stdout)["claims"]}
    assert {"src/[ab].ts", "api/**"} <= patterns

    web = cli_service.user.coord(
        "claims", "--repo", "acme/web", "--engineer", "bob/claude/main", "--wide"
    )
    assert web.returncode == 0, web.stderr
    assert "src/[ab].ts" in web.stdout
    assert "api/**" not in web.stdout

    both = cli_service.user.coord("claims", "--all", "--repo", "acme/web")
    assert both.returncode == 2
    assert both.stderr.startswith("coord: --all and --repo exclude each other")


def test_claims_fit_80_columns_wrapping_only_at_separators(cli_service: Service) -> None:
    long_pattern = "services/payments/internal/reconciliation/ledger_adjustments_handler.py"
    engineer = "erin/claude/payments-reconciliation-worktree"
    assert _claim(cli_service, engineer, "acme/payments", long_pattern).status_code == 200
    assert _claim(cli_service, "fay/codex/main", None, "notes/todo.md").status_code == 200

    shown = cli_service.user.coord("claims", "--all", COLUMNS="80")

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), shown.stdout
    text = " ".join(lines)
    # Every segment of the path prints whole: lines break after a `/`, never inside a name.
    for segment in [
        "services/",
        "payments/",
        "internal/",
        "reconciliation/",
        "ledger_adjustments_handler.py",
        "payments-reconciliation-worktree",
    ]:
        assert segment in text, shown.stdout
    assert "(no repo)" in text and "acme/payments" in text
    wide = cli_service.user.coord("claims", "--all", "--wide", COLUMNS="80")
    assert long_pattern in wide.stdout and engineer in wide.stdout


def test_release_by_id_is_idempotent_and_unknown_ids_are_named(cli_service: Service) -> None:
    granted = _claim(cli_service, "dee/cursor/main", "acme/docs", "docs/**").json()
    claim_id = granted["claim_ids"][0]
    user = cli_service.user

    first = user.coord("release", claim_id)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"Released {claim_id}."
    again = user.coord("release", claim_id)
    assert again.stdout.strip() == f"{claim_id} was already released or had expired; nothing to do."
    unknown = user.coord("release", "clm_nope")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("coord: no claim 'clm_nope' exists.")
    assert "Traceback" not in unknown.stderr


def test_releasing_stale_engineers_serves_their_queue(cli_service: Service) -> None:
    repo = "acme/stale"
    assert _claim(cli_service, "gone/claude/main", repo, "src/shop.py").status_code == 200
    waited: list[httpx.Response] = []
    waiter = threading.Thread(
        target=lambda: waited.append(
            _claim(cli_service, "eve/codex/main", repo, "src/shop.py", wait_seconds=60)
        )
    )
    waiter.start()
    try:
        listed = cli_service.user.coord("engineers", "stale", "--days", "0", "--repo", repo)
        assert "gone/claude/main" in listed.stdout
        quiet = cli_service.user.coord("engineers", "stale", "--repo", repo)
        assert "No engineer has been silent for more than 1 day(s)." in quiet.stdout

        released = cli_service.user.coord(
            "engineers", "stale", "--days", "0", "--repo", repo, "--release", "--yes", "--json"
        )
    finally:
        waiter.join(60)
    assert released.returncode == 0, released.stderr
    report = json.loads(released.stdout)
    assert [entry["engineer"] for entry in report["stale"]] == ["gone/claude/main"]
    assert len(report["released"]) == 1
    assert waited[0].status_code == 200, waited[0].text
    assert waited[0].json()["claims"][0]["engineer"] == "eve/codex/main"


def test_outbox_commands_talk_to_the_admin_routes(cli_service: Service) -> None:
    user = cli_service.user
    stats = user.coord("outbox", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["webhook_configured"] is False
    assert user.coord("outbox", "tail").stdout.strip() == "No deliveries."
    assert user.coord("outbox", "retry").stdout.strip() == "Re-armed 0 deliveries."
    assert user.coord("outbox", "purge", "--yes").stdout.strip() == "Deleted 0 deliveries."
    bad = user.coord("outbox", "tail", "--state", "lost")
    assert bad.returncode == 2
    assert "use one of: pending, failed, delivered, exhausted" in bad.stderr


def test_service_errors_are_one_line_with_a_fix(cli_service: Service) -> None:
    user = cli_service.user
    refused = user.coord("claims", COORD_API_URL=cli_service.url, COORD_AUTH_TOKEN="not-the-token")
    assert refused.returncode == 3
    lines = refused.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("coord: ")
    assert lines[1].startswith("  fix: the token came from environment; the local service's token ")
    assert str(user.home / "token") in lines[1]
    assert lines[1].endswith("`unset COORD_AUTH_TOKEN` to fall back to the local token file")

    closed = "http://127.0.0.1:9"
    down = user.coord("claims", COORD_API_URL=closed)
    assert down.returncode == 4
    assert down.stderr.startswith(f"coord: coord service at {closed} is unreachable")
    assert "Traceback" not in down.stderr


def test_the_update_check_runs_at_most_once_a_day(cli_service: Service) -> None:
    user = cli_service.user
    record = user.home / "update-check.json"
    record.unlink(missing_ok=True)
    first = user.coord("claims", "--all", COORD_NO_UPDATE_CHECK="")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""  # the service runs the CLI's own version: nothing to say
    checked = record.read_text(encoding="utf-8")
    assert user.coord("claims", "--all", COORD_NO_UPDATE_CHECK="").returncode == 0
    assert record.read_text(encoding="utf-8") == checked
