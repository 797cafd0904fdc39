"""The `reconcile` tool over stdio, in a real git checkout against a real `coord-api`: the same
lists `coord reconcile --json` prints, and the findings reported to the adherence figures."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from coord_e2e import CoordApi, CoordApiFactory, console_script

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

REPO = "e2e/reconcile"
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


async def _claim(http: httpx.AsyncClient, engineer: str, pattern: str) -> str:
    body = {"engineer": engineer, "claims": [{"pattern": pattern}], "repo": REPO}
    answer = await http.post("/claims", json=body)
    assert answer.status_code == 200, answer.text
    claim_id: str = answer.json()["claim_ids"][0]
    return claim_id


def _backdate(server: CoordApi, claim_id: str, hours: float) -> None:
    """Move a claim's grant back in time while the service is stopped."""
    server.stop()
    with sqlite3.connect(server.database_path) as db:
        (created,) = db.execute(
            "SELECT created_at FROM claims WHERE id = ?", (claim_id,)
        ).fetchone()
        moved = datetime.strptime(created, SQLITE_TIME) - timedelta(hours=hours)
        db.execute("UPDATE claims SET created_at = ? WHERE id = ?",
                   (moved.strftime(SQLITE_TIME), claim_id))  # fmt: skip


def _wire(checkout: Path, server: CoordApi) -> None:
    """`.coordination/local.env` as `coord init` leaves it, kept out of git's status."""
    local_env = checkout / ".coordination" / "local.env"
    local_env.parent.mkdir()
    lines = [f"{key}={value}" for key, value in server.client_env(COORD_REPO_ID=REPO).items()]
    local_env.write_text("\n".join([*lines, "COORD_USER=alex", ""]), encoding="utf-8")
    (checkout / ".git" / "info" / "exclude").write_text(".coordination/\n", encoding="utf-8")


def _cli_reconcile(checkout: Path) -> dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(checkout.parent)}
    done = subprocess.run(
        [console_script("coord"), "reconcile", "--json"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    # The minutes of idleness are counted at each call's own moment.
    idle = [{k: v for k, v in claim.items() if k != "idle_minutes"} for claim in
            report["idle_claims"]]  # fmt: skip
    fields = ("engineer", "repo", "changed", "clean", "undeclared_edits", "fixes")
    return {**{name: report[name] for name in fields}, "idle_claims": idle}


async def test_reconcile_lists_what_coord_reconcile_lists(  # type: ignore[no-untyped-def]
    coord_api_factory: CoordApiFactory, agent, git_repo
) -> None:
    server = coord_api_factory.start()
    checkout: Path = git_repo({"src/app.py": "v1\n", "README.md": "# shop\n"})
    async with server.async_client() as http:
        held = await _claim(http, "sam", "src/app.py")
        idle = await _claim(http, "alex", "docs/**")  # no file of it changed lately
        await _claim(http, "alex", "/README.md")
    _backdate(server, idle, hours=2)
    server = coord_api_factory.start_spec(server.spec)
    _wire(checkout, server)
    (checkout / "src" / "app.py").write_text("v2\n", encoding="utf-8")
    (checkout / "README.md").write_text("# shop, edited\n", encoding="utf-8")
    (checkout / "notes").mkdir()
    (checkout / "notes" / "todo.md").write_text("new\n", encoding="utf-8")

    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(checkout.parent)}
    async with agent(env, checkout) as coord:
        found = await coord.call("reconcile", idle_minutes=30)
        listing = await coord.client.list_tools()
    declared = next(tool for tool in listing.tools if tool.name == "reconcile").output_schema
    jsonschema.Draft202012Validator(declared).validate(found)

    assert found["ok"] is True and found["clean"] is False, found
    assert (found["engineer"], found["repo"], found["changed"]) == ("alex", REPO, 3)
    edits = {edit["path"]: edit for edit in found["undeclared_edits"]}
    assert set(edits) == {"src/app.py", "notes/todo.md"}  # README.md is alex's
    assert edits["src/app.py"]["held_by"] == [
        {"engineer": "sam", "claim_id": held, "pattern": "src/app.py"}
    ]
    assert edits["notes/todo.md"] == {
        "path": "notes/todo.md", "status": "??", "fix": "coord claim notes/todo.md", "held_by": [],
    }  # fmt: skip
    (stale,) = found["idle_claims"]
    assert (stale["claim_id"], stale["pattern"], stale["idle_minutes"] >= 119) == (
        idle, "docs/**", True,
    )  # fmt: skip
    assert "claim_files(patterns=['notes/todo.md'])" in found["next_step"]
    assert f"release_claims(claim_ids=['{idle}'])" in found["next_step"]
    assert "sam" in found["next_step"]

    assert _comparable(found) == _comparable(_cli_reconcile(checkout))

    async with server.async_client() as http:
        figures = (await http.get("/metrics/adherence", params={"repo": REPO})).json()
    (repo,) = figures["repos"]
    # Found twice (the tool, then the command), counted once per file.
    assert repo["undeclared_edits"] == {"reconcile": 2}
    assert repo["engineers"][0]["engineer"] == "alex"


async def test_a_clean_checkout_says_so(  # type: ignore[no-untyped-def]
    coord_api_factory: CoordApiFactory, agent, git_repo
) -> None:
    server = coord_api_factory.start()
    checkout: Path = git_repo({"src/app.py": "v1\n"})
    async with server.async_client() as http:
        await _claim(http, "alex", "src/**")
    _wire(checkout, server)
    (checkout / "src" / "app.py").write_text("v2\n", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(checkout.parent)}
    async with agent(env, checkout) as coord:
        found = await coord.call("reconcile")
    assert found["ok"] is True and found["clean"] is True
    assert found["summary"] == "Clean: 1 changed file(s), all under your claims; no idle claim."
    assert (found["undeclared_edits"], found["idle_claims"], found["changed"]) == ([], [], 1)
