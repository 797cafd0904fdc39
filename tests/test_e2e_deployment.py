"""The container image and the three-replica compose file, checked without a container runtime.

The Dockerfile and deploy/compose.yaml are parsed and held to what docs/deployment.md promises
(non-root user, `/data` volume, `/readyz` health checks, the PostgreSQL extra, three replicas
behind a load balancer on one database); then the image's command runs here with the image's
environment, and the image's own health-check command is run against it.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from coord_e2e import CoordApiFactory

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
HAPROXY = ROOT / "deploy" / "haproxy.cfg"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, with continuation lines joined."""
    joined = path.read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage(path: Path) -> list[tuple[str, str]]:
    """The instructions of the last build stage (the image that runs)."""
    steps = instructions(path)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def image_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    """The ENV of a stage (`ENV a=1 b=2` form)."""
    env: dict[str, str] = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def one(stage: list[tuple[str, str]], keyword: str) -> str:
    """The arguments of the stage's single `keyword` instruction."""
    values = [rest for k, rest in stage if k == keyword]
    assert len(values) == 1, f"expected one {keyword} in the final stage, found {values}"
    return values[0]


def compose() -> dict[str, Any]:
    """deploy/compose.yaml, parsed (anchors resolved)."""
    parsed: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return parsed


def test_the_image_runs_coord_api_as_a_non_root_user_with_data_in_a_volume() -> None:
    stage = final_stage(DOCKERFILE)
    env = image_env(stage)

    assert one(stage, "CMD") == '["coord-api"]'
    assert one(stage, "USER") == "coord"
    assert "--uid 10001" in one(stage, "RUN"), "the user is created with a fixed, non-zero uid"
    assert one(stage, "VOLUME") == '["/data"]'
    assert one(stage, "EXPOSE") == env["COORD_PORT"] == "8080"
    assert env["COORD_HOST"] == "0.0.0.0"
    assert env["COORD_DATABASE_PATH"].startswith("/data/")
    assert "/readyz" in one(stage, "HEALTHCHECK")


def test_the_image_installs_the_server_with_its_postgres_extra_from_the_lock() -> None:
    runs = [rest for keyword, rest in instructions(DOCKERFILE) if keyword == "RUN"]

    sync = [run for run in runs if "uv sync" in run]
    assert len(sync) == 1
    for flag in ("--frozen", "--no-dev", "--package coord-server", "--extra postgres"):
        assert flag in sync[0], flag


def test_compose_runs_three_replicas_on_one_postgres_behind_a_balancer() -> None:
    services = compose()["services"]
    replicas = {name: spec for name, spec in services.items() if name.startswith("coord-")}

    assert sorted(replicas) == ["coord-1", "coord-2", "coord-3"]
    urls = {spec["environment"]["COORD_DATABASE_URL"] for spec in replicas.values()}
    assert len(urls) == 1 and urls.pop().startswith("postgresql://coord:coord@postgres:5432/")
    for spec in replicas.values():
        assert "/readyz" in " ".join(spec["healthcheck"]["test"])
        assert "ports" not in spec, "replicas are reached through the balancer only"
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "COORD_AUTH_TOKEN" in spec["environment"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    balancer = services["balancer"]
    assert balancer["image"].startswith("haproxy:")
    assert balancer["ports"] == ["8080:8080"]
    assert set(balancer["depends_on"]) == set(replicas)


def test_the_balancer_checks_readyz_and_outlasts_the_longest_wait() -> None:
    config = HAPROXY.read_text(encoding="utf-8")
    lines = [" ".join(line.split()) for line in config.splitlines()]

    assert "option httpchk GET /readyz" in lines
    assert "http-check expect status 200" in lines
    servers = [line.split()[1] for line in lines if line.startswith("server ")]
    assert servers == sorted(compose()["services"])[1:4]
    # wait_seconds may be 600 and a long-poll sends nothing until it ends.
    assert "timeout server 11m" in lines and "timeout client 11m" in lines


@pytest.mark.slow
def test_the_images_command_serves_and_passes_the_images_health_check(
    coord_api_factory: CoordApiFactory, tmp_path: Path
) -> None:
    stage = final_stage(DOCKERFILE)
    data = tmp_path / "data"
    data.mkdir()
    base = coord_api_factory.spec(database_path=data / "coordination.db")
    image = {k: v for k, v in image_env(stage).items() if k != "PATH"}  # /opt/coord is not here
    env = {
        **base.env,
        **image,
        "COORD_HOST": "127.0.0.1",  # the image binds 0.0.0.0; a test stays on loopback
        "COORD_DATABASE_PATH": str(data / "coordination.db"),  # the volume, moved here
    }
    server = coord_api_factory.start_spec(replace(base, env=env))
    spec = server.spec

    probe = one(stage, "HEALTHCHECK").split(" CMD ", 1)[1].replace("8080", str(spec.port))
    health = subprocess.run(
        [sys.executable, "-c", shlex.split(probe)[2]], check=False, capture_output=True, timeout=30
    )
    assert health.returncode == 0, health.stderr.decode()
    with httpx.Client(base_url=server.base_url) as client:
        assert client.get("/readyz").json()["status"] == "ready"
    assert (data / "coordination.db").exists(), "state lives where the image puts its volume"
