"""The real `coord-api` process over HTTP: a checkout, restarts, start-up refusals.

Each test starts the console script on a free loopback port with its own temporary database
(see `conftest.py`) and talks to it only through HTTP, as any client would.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from coord_e2e import CoordApi, CoordApiFactory, wait_until
from coord_race import SteadyLoad

from coord_server.storage import make_engine, migrate, sqlite_url

pytestmark = pytest.mark.slow

SHORT_TTL_HOURS = 0.003
"""10.8 s: long enough to outlive a restart on a loaded machine, short enough to watch expire."""

EXPIRY_SLACK = timedelta(seconds=1)
"""SPEC §4.5: the queue behind an expired claim is served within one second of the expiry."""

CHECKOUT = {
    "src/a.ts": "export const a = 1;\n",
    "src/a.py": "A = 1\n",
    "src/b.ts": "export const b = 2;\n",
    "src/c.py": "C = 3\n",
    "src/shared/x.ts": "export const x = 0;\n",
    "docs/guide.md": "# Guide\n",
    **{f"lib/x/m{n}.py": f"N = {n}\n" for n in range(5)},
    **{f"lib/y/m{n}.py": f"N = {n}\n" for n in range(4)},
    **{f"lib/big/m{n}.py": f"N = {n}\n" for n in range(6)},
}
"""21 tracked files: with a ratio of 0.4 one request may cover 8 of them, one pattern 5."""


def claim(client: httpx.Client, engineer: str, *patterns: str, **fields: Any) -> httpx.Response:
    """`POST /claims` of file claims on `patterns`."""
    body = {"engineer": engineer, "claims": [{"pattern": p} for p in patterns], **fields}
    return client.post("/claims", json=body)


def granted(response: httpx.Response) -> list[dict[str, Any]]:
    """The granted claim rows of a `POST /claims` answer that must be a 200."""
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["claims"]
    return rows


def timestamp(text: str) -> datetime:
    """A wire timestamp (`...Z`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def active_claims(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Active claims of every repo, by id."""
    response = client.get("/claims", params={"all_repos": "true"})
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["claims"]}


# -- a checkout behind the server ------------------------------------------------------------


@pytest.fixture(scope="module")
def checkout_server(module_git_repo: Any, module_coord_api_factory: Any) -> Any:
    """A server whose checkout holds `CHECKOUT`, with at most 5 files per pattern."""
    root = module_git_repo(CHECKOUT)
    env = {"COORD_MAX_CLAIM_FILES": "5", "COORD_MAX_CLAIM_RATIO": "0.4"}
    return module_coord_api_factory.start(repo_root=root, env=env)


@pytest.fixture
def checkout_client(checkout_server: Any) -> Iterator[httpx.Client]:
    """A client of `checkout_server`, which starts each test without active claims."""
    with checkout_server.client() as client:
        held = list(active_claims(client))
        if held:
            assert client.post("/claims/release", json={"claim_ids": held}).status_code == 200
        yield client


def test_conflict_overlap_lists_the_tracked_files_both_patterns_match(
    checkout_client: httpx.Client,
) -> None:
    granted(claim(checkout_client, "alex/claude/main", "src/*.ts"))

    narrow = claim(checkout_client, "blair/codex/main", "src/a*")
    broad = claim(checkout_client, "blair/codex/main", "src/**")

    assert narrow.status_code == 409, narrow.text
    (conflict,) = narrow.json()["conflicts"]
    assert conflict["your_pattern"] == "src/a*"
    assert conflict["conflicting_claim"]["engineer"] == "alex/claude/main"
    assert conflict["conflicting_claim"]["pattern"] == "src/*.ts"
    assert conflict["overlap"] == ["src/a.ts"]  # not src/a.py: the holder's pattern misses it
    assert narrow.json()["options"] == ["wait", "narrow_claim", "escalate"]
    assert broad.status_code == 409, broad.text
    assert broad.json()["conflicts"][0]["overlap"] == ["src/a.ts", "src/b.ts"]


def test_conflict_on_an_untracked_file_falls_back_to_the_witness(
    checkout_client: httpx.Client,
) -> None:
    assert claim(checkout_client, "alex/claude/main", "src/*.ts").status_code == 200

    refused = claim(checkout_client, "blair/codex/main", "src/brand_new.ts")

    assert refused.status_code == 409, refused.text
    assert refused.json()["conflicts"][0]["overlap"] == ["src/brand_new.ts"]


def test_conflict_check_lists_tracked_overlap_like_a_claim(checkout_client: httpx.Client) -> None:
    assert claim(checkout_client, "alex/claude/main", "src/*.ts").status_code == 200

    response = checkout_client.get(
        "/conflicts", params={"pattern": "src/**", "engineer": "casey/cursor/main"}
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["has_conflicts"] is True
    assert answer["safe_to_proceed"] is False
    assert answer["conflicts"][0]["overlap"] == ["src/a.ts", "src/b.ts"]


def test_pattern_matching_no_tracked_file_is_granted_with_a_warning(
    checkout_client: httpx.Client,
) -> None:
    new_file = claim(checkout_client, "alex/claude/main", "docs/missing.md")
    misspelt = claim(checkout_client, "alex/claude/main", "DOCS/Guide.md")

    assert new_file.status_code == 200, new_file.text
    assert new_file.json()["claim_ids"]
    (warning,) = new_file.json()["warnings"]
    assert "'docs/missing.md'" in warning
    assert "matches no tracked file" in warning
    assert misspelt.status_code == 200, misspelt.text
    assert "did you mean 'docs/guide.md'" in misspelt.json()["warnings"][0]


def test_pattern_over_the_file_limit_is_refused_naming_count_and_limit(
    checkout_client: httpx.Client,
) -> None:
    response = claim(checkout_client, "alex/claude/main", "lib/big/**")

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "scope_too_broad"
    assert "'lib/big/**'" in body["detail"]
    assert "6 tracked files" in body["detail"]
    assert "limit of 5" in body["detail"]
    assert body["violations"] == [
        {"pattern": "lib/big/**", "matched": 6, "limit": 5, "kind": "files"}
    ]
    assert active_claims(checkout_client) == {}


def test_batch_over_the_repo_ratio_is_refused_as_a_whole(checkout_client: httpx.Client) -> None:
    each_fits = [claim(checkout_client, "alex/claude/main", p) for p in ("lib/x/*", "lib/y/*")]
    for response in each_fits:
        assert response.status_code == 200, response.text
    held = [claim_id for response in each_fits for claim_id in response.json()["claim_ids"]]
    assert checkout_client.post("/claims/release", json={"claim_ids": held}).status_code == 200

    together = claim(checkout_client, "alex/claude/main", "lib/x/*", "lib/y/*")

    assert together.status_code == 400, together.text
    (violation,) = together.json()["violations"]
    assert violation["kind"] == "batch_ratio"
    assert violation["matched"] == 9
    assert active_claims(checkout_client) == {}


# -- restart ---------------------------------------------------------------------------------


def test_restart_keeps_claims_fences_and_expiry_schedule(coord_api_factory: Any) -> None:
    first = coord_api_factory.start()
    with first.client() as client:
        (kept,) = granted(claim(client, "alex/claude/main", "src/a.ts"))
        batch = granted(claim(client, "blair/codex/main", "src/b.ts", "src/c.ts"))
        in_repo = granted(claim(client, "alex/claude/main", "src/a.ts", repo="acme/web"))
        short = claim(client, "casey/cursor/main", "docs/short.md", ttl_hours=SHORT_TTL_HOURS)
        (short_claim,) = granted(short)
        released = client.delete(f"/claims/{batch[0]['id']}")
        assert released.json()["released"] == 1
    assert [kept["fence"], *(c["fence"] for c in batch)] == [1, 2, 3]
    assert short_claim["fence"] == 4
    assert in_repo[0]["fence"] == 1  # fences count per repo

    second = coord_api_factory.restart(first)

    # uvicorn shuts down gracefully, then re-raises the signal; only SIGKILL means it hung.
    assert first.process.returncode in {0, -signal.SIGTERM}, "SIGTERM must end coord-api"
    with second.client() as client:
        assert datetime.now(UTC) < timestamp(short_claim["expires_at"]), (
            "the restart outlasted the short TTL"
        )
        active = active_claims(client)
        expected = [kept, batch[1], in_repo[0], short_claim]
        assert {claim_id: row["fence"] for claim_id, row in active.items()} == {
            row["id"]: row["fence"] for row in expected
        }
        assert batch[0]["id"] not in active
        blocked = claim(client, "dana/claude/fix", "docs/short.md")
        assert blocked.status_code == 409, "a restored claim must keep blocking"
        (fresh,) = granted(claim(client, "dana/claude/fix", "src/new.ts"))
        (fresh_in_repo,) = granted(claim(client, "dana/claude/fix", "lib/x.ts", repo="acme/web"))
        assert fresh["fence"] == 5
        assert fresh_in_repo["fence"] == 2

        # Long-poll behind the short claim: the answer comes when its expiry frees the file.
        queued = claim(client, "dana/claude/fix", "docs/short.md", wait_seconds=60)

        (queued_claim,) = granted(queued)
        granted_at = timestamp(queued_claim["created_at"])
        expires_at = timestamp(short_claim["expires_at"])
        assert expires_at <= granted_at <= expires_at + EXPIRY_SLACK
        history = client.get(
            "/claims", params={"active_only": "false", "engineer": "casey/cursor/main"}
        )
        (expired,) = history.json()["claims"]
        assert expired["released_at"] is not None
        assert expires_at <= timestamp(expired["released_at"]) <= expires_at + EXPIRY_SLACK


# -- refusals at start -----------------------------------------------------------------------


def test_second_process_on_the_same_database_is_refused(coord_api_factory: Any) -> None:
    running = coord_api_factory.start()

    second = coord_api_factory.run_to_exit(database_path=running.database_path)

    assert second.returncode != 0
    assert "another coord-api process already uses this database" in second.stderr
    assert "COORD_DISABLE_INSTANCE_LOCK" in second.stderr
    assert "Traceback" not in second.stderr
    with running.client() as client:
        assert client.get("/readyz").status_code == 200
        assert claim(client, "alex/claude/main", "src/a.ts").status_code == 200


def test_invalid_setting_stops_the_start_naming_the_variable(coord_api_factory: Any) -> None:
    result = coord_api_factory.run_to_exit(env={"COORD_PORT": "abc"})

    assert result.returncode != 0
    assert "COORD_PORT" in result.stderr
    assert "'abc'" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_from_newer_code_is_refused_in_one_line(
    coord_api_factory: Any, tmp_path: Path
) -> None:
    database = tmp_path / "newer.db"
    engine = make_engine(sqlite_url(database))
    migrate(engine)
    engine.dispose()
    with sqlite3.connect(database) as db:
        db.execute("update alembic_version set version_num = '9999_future'")

    result = coord_api_factory.run_to_exit(database_path=database)

    assert result.returncode == 2
    assert "newer than this coord-server knows" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_token_refuses_to_start_and_explains(coord_api_factory: Any) -> None:
    result = coord_api_factory.run_to_exit(env={"COORD_AUTH_TOKEN": None})

    assert result.returncode != 0
    assert "COORD_AUTH_TOKEN is not set" in result.stderr
    assert "COORD_ALLOW_INSECURE_NO_AUTH=true" in result.stderr
    assert "Traceback" not in result.stderr


def test_explicit_insecure_mode_starts_without_a_token(coord_api_factory: Any) -> None:
    env = {"COORD_AUTH_TOKEN": None, "COORD_ALLOW_INSECURE_NO_AUTH": "true"}
    server = coord_api_factory.start(env=env)

    with server.client() as client:
        assert client.get("/readyz").json()["auth_mode"] == "insecure-no-auth"
        assert claim(client, "alex/claude/main", "src/a.ts").status_code == 200


def test_a_killed_sqlite_process_restarts_with_its_claims_fences_and_queue(
    coord_api_factory: CoordApiFactory,
) -> None:
    server = coord_api_factory.start()
    held = _claim(server, "alex", "src/held.ts")
    load = SteadyLoad([(server.base_url, server.auth_headers())])
    load.start()
    waiter = threading.Thread(target=_wait_for, args=(server, "sam", "src/held.ts"), daemon=True)
    waiter.start()
    with server.client() as client:
        wait_until(lambda: client.get("/requests", params={"queued": "true"}).json()["count"] == 1,
                   20, "the waiter's queue entry")  # fmt: skip
    load.wait_rounds(10)

    server.kill()
    load.stop()
    restarted = coord_api_factory.restart(server)
    after = _claim(restarted, "sam", "src/b.ts")

    with restarted.client() as client:
        active = {row["id"]: row["fence"] for row in client.get("/claims").json()["claims"]}
        wait_until(lambda: client.get("/requests", params={"queued": "true"}).json()["count"] == 0,
                   20, "the dead process's waiter ending")  # fmt: skip
    granted = {held["claims"][0]["id"]: held["claims"][0]["fence"], **load.granted}
    assert set(granted) < set(active), "every grant a client was answered survives the kill"
    assert after["claims"][0]["fence"] > max(granted.values()), "no fence is reused"
    assert len(set(active.values())) == len(active)
    queue = _queue_states(restarted.database_path)
    assert "waiting" not in queue and len(queue) == 1, queue


def _wait_for(server: CoordApi, engineer: str, pattern: str) -> None:
    body = {"engineer": engineer, "claims": [{"pattern": pattern}], "wait_seconds": 60}
    with contextlib.suppress(httpx.TransportError), server.client(timeout=90) as client:
        client.post("/claims", json=body)


def _queue_states(database: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return [row[0] for row in connection.execute("SELECT state FROM queue_entries")]
    finally:
        connection.close()


def _claim(server: CoordApi, engineer: str, pattern: str) -> dict[str, Any]:
    with server.client() as client:
        answer = client.post(
            "/claims", json={"engineer": engineer, "claims": [{"pattern": pattern}]}
        )
    assert answer.status_code == 200, answer.text
    granted: dict[str, Any] = answer.json()
    return granted
