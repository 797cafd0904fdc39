"""The OpenAPI document describes what a real server answers: schemathesis holds it to that.

schemathesis reads `/openapi.json` of a real `coord-api` (fresh SQLite database, operator
token), generates requests for every operation from the document (valid and invalid ones,
then sequences of calls), and checks every answer: no 5xx, only documented statuses and
content types, bodies and headers that fit the documented schemas. The run is bounded (a fixed
number of examples per operation and a fixed seed), so it is repeatable and takes well under
two minutes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from coord_e2e import CoordApi, console_script

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 15
"""Generated cases per operation and phase; the coverage phase adds its own boundary cases."""

SEED = 20261203
"""A fixed seed: the same cases every run, so a failure reproduces."""

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)

NOT_RUN = ("/events",)
"""`GET /events` answers an event stream that stays open until the client hangs up; schemathesis
reads an answer whole, so every valid request would wait out the request timeout. Its refusals
(401, 403, 422, 429) are the gate's and `CoordError`'s, which every other operation exercises."""

HANG_GUARD_SEC = 600
"""Stops a run that hangs (a server that stopped answering) instead of blocking CI."""


def run_schemathesis(server: CoordApi, report_dir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        console_script("schemathesis"), "run", f"{server.base_url}/openapi.json",
        "--header", f"Authorization: Bearer {server.token}",
        "--checks", ",".join(CHECKS),
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--seed", str(SEED),
        "--generation-database", "none",
        "--request-timeout", "30",
        "--no-color",
        "--report", "json", "--report-dir", str(report_dir),
        *(argument for path in NOT_RUN for argument in ("--exclude-path", path)),
    ]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, cwd=report_dir, stdin=subprocess.DEVNULL,
        timeout=HANG_GUARD_SEC, check=False,
    )  # fmt: skip


def read_report(report_dir: Path) -> dict[str, Any]:
    (path,) = report_dir.glob("*.json")
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def test_every_operation_answers_as_documented(coord_api: CoordApi, tmp_path: Path) -> None:
    finished = run_schemathesis(coord_api, tmp_path)

    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = read_report(tmp_path)
    assert report["failures"] == [] and report["errors"] == [], finished.stdout
    # `total` is what schemathesis read from the document (all but `/openapi.json` itself).
    operations = report["operations"]
    assert operations["tested"] == operations["selected"] == operations["total"] - len(NOT_RUN)
    assert report["test_cases"]["generated"] >= operations["tested"] * 2, report["test_cases"]
    print(  # the numbers, for whoever runs this with -s
        f"schemathesis: {report['test_cases']['generated']} cases over {operations['tested']} "
        f"operations in {report['running_time']:.1f} s"
    )
