"""Real processes for end-to-end tests: `coord-api` servers, git repositories, console scripts.

Every package's tests import this module by name (the root `pyproject.toml` puts this directory
on pytest's `pythonpath`); the fixtures built on it (`coord_api`, `coord_api_factory`,
`module_coord_api_factory`, `git_repo`, `module_git_repo`) live in the root `conftest.py`, so
every test of the workspace can ask for them. Test modules import the types for annotations:

    from coord_e2e import CoordApi, CoordApiFactory

    def test_claims_survive_a_restart(coord_api_factory: CoordApiFactory, git_repo) -> None:
        repo = git_repo({"src/a.ts": "export {}\\n"})
        server = coord_api_factory.start(repo_root=repo, env={"COORD_MAX_CLAIM_FILES": "5"})
        with server.client() as http:             # httpx.Client with the operator token
            http.post("/claims", json={"engineer": "alex", "claims": [{"pattern": "src/a.ts"}]})
        server = coord_api_factory.restart(server)  # same database, same port
        with CoordClient(server.client_config()) as client:   # or the typed client
            assert client.list_claims().count == 1

Every server is stopped when its test (or module) ends: SIGTERM, then SIGKILL. Its stderr is
kept in a file and attached to the report of a failing test as "coord-api stderr".

A missing tool (git) skips the test, unless `COORD_TEST_REQUIRE_ALL=1` makes it a failure (CI
sets it so that nothing is skipped silently).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from coord_protocol.client import ClientConfig

TOKEN = "e2e-operator-token-0123456789abcdef"
"""Operator token of the servers the fixtures start (tests may override COORD_AUTH_TOKEN)."""

START_DEADLINE_SEC = 30.0
"""How long a server may take to answer `/readyz` before the start counts as failed."""

STOP_GRACE_SEC = 10.0
"""How long a stopped server may take to exit after SIGTERM before it is killed."""

_POLL_INTERVAL_SEC = 0.05
_PORT_ATTEMPTS = 3
_LOGS_KEY = pytest.StashKey[list["CoordApi"]]()


def require_tool(name: str) -> str:
    """The path of executable `name`; skips the test without it.

    With `COORD_TEST_REQUIRE_ALL=1` a missing tool fails the test instead.
    """
    found = shutil.which(name)
    if found:
        return found
    reason = f"`{name}` is not installed; this test drives a real {name}"
    if os.environ.get("COORD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (COORD_TEST_REQUIRE_ALL=1 forbids skipping it)")
    pytest.skip(reason)


def console_script(name: str) -> str:
    """The workspace's console script `name` (`coord-api`, `coord`, ...) beside the interpreter."""
    for directory in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = directory / name
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"the {name} console script is not installed; run `uv sync` first")
    return found


def free_port() -> int:
    """A loopback port nobody listens on right now (another process may still take it first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- the coord-api process ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """Everything that makes one start of `coord-api`: where it listens and its environment."""

    port: int
    database_path: Path
    env: Mapping[str, str]
    """The complete environment of the process (no variable is inherited beyond it)."""
    log_dir: Path


@dataclass(slots=True)
class CoordApi:
    """A running `coord-api` process."""

    spec: ServerSpec
    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.spec.port}"

    @property
    def token(self) -> str | None:
        """The operator token the process was started with."""
        return self.spec.env.get("COORD_AUTH_TOKEN")

    @property
    def database_path(self) -> Path:
        """The SQLite file the process serves."""
        return self.spec.database_path

    def auth_headers(self) -> dict[str, str]:
        """`Authorization: Bearer <token>`, or nothing when the server runs without a token."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def client(self, timeout: float = 30.0) -> httpx.Client:
        """A blocking httpx client for this server, authenticated as the operator."""
        return httpx.Client(base_url=self.base_url, headers=self.auth_headers(), timeout=timeout)

    def async_client(self, timeout: float = 60.0) -> httpx.AsyncClient:
        """An async httpx client for this server, authenticated as the operator."""
        headers = self.auth_headers()
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout)

    def client_config(self, session_id: str | None = None) -> ClientConfig:
        """Configuration for `coord_protocol.client.CoordClient` / `AsyncCoordClient`."""
        return ClientConfig(base_url=self.base_url, token=self.token, session_id=session_id)

    def client_env(self, **overrides: str) -> dict[str, str]:
        """The variables that point a client process (`coord-mcp`, ...) here as the operator."""
        token = {"COORD_AUTH_TOKEN": self.token} if self.token else {}
        return {"COORD_API_URL": self.base_url, **token, **overrides}

    def is_running(self) -> bool:
        """True while the process has not exited."""
        return self.process.poll() is None

    def stderr_text(self) -> str:
        """Everything the process wrote to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill would: no shutdown code runs."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after `STOP_GRACE_SEC`; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SEC)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class CoordApiFactory:
    """Starts `coord-api` processes for one test (or module) and stops them all when it ends."""

    def __init__(self, scratch: Path, started: list[CoordApi]) -> None:
        self._scratch = scratch
        self._started = started
        self._count = 0

    def spec(
        self,
        *,
        database_path: Path | None = None,
        repo_root: Path | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> ServerSpec:
        """The spec of a new server: a fresh database unless `database_path` is given.

        `env` adds or overrides `COORD_*` variables; a value of None removes the variable (for
        example `{"COORD_AUTH_TOKEN": None}`). No `COORD_*` variable of the test's own
        environment leaks into the server.
        """
        self._count += 1
        run_dir = self._scratch / f"server-{self._count}"
        run_dir.mkdir(parents=True)
        database = database_path or run_dir / "data" / "coordination.db"
        values: dict[str, str | None] = {
            "COORD_HOST": "127.0.0.1",
            "COORD_DATABASE_PATH": str(database),
            "COORD_AUTH_TOKEN": TOKEN,
            "COORD_LOG_LEVEL": "info",
            "COORD_REPO_ROOT": str(repo_root) if repo_root is not None else None,
            **(env or {}),
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
        chosen = {k: v for k, v in values.items() if v is not None}
        return ServerSpec(free_port(), database, {**inherited, **chosen}, run_dir)

    def start(
        self,
        *,
        database_path: Path | None = None,
        repo_root: Path | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> CoordApi:
        """Start a server (see `spec`) and return it once `/readyz` answers 200."""
        return self.start_spec(self.spec(database_path=database_path, repo_root=repo_root, env=env))

    def start_spec(self, spec: ServerSpec) -> CoordApi:
        """Start a server from `spec`, moving to another free port if its port was taken."""
        for attempt in range(_PORT_ATTEMPTS):
            server = self._launch(spec)
            if _wait_ready(server):
                return server
            if (
                "address already in use" not in server.stderr_text()
                or attempt + 1 == _PORT_ATTEMPTS
            ):
                break
            spec = replace(spec, port=free_port())
        server.stop()
        pytest.fail(
            f"coord-api did not become ready on port {spec.port} within {START_DEADLINE_SEC} s "
            f"(exit status {server.process.returncode}); its stderr:\n{server.stderr_text()}"
        )

    def restart(self, server: CoordApi) -> CoordApi:
        """Stop `server` and start the same configuration again (same database and port)."""
        server.stop()
        return self.start_spec(server.spec)

    def run_to_exit(
        self,
        *,
        database_path: Path | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = START_DEADLINE_SEC,
    ) -> subprocess.CompletedProcess[str]:
        """Run a server that is expected to refuse to start; its exit status and stderr.

        Fails the test if it is still running after `timeout` seconds (it is then killed).
        """
        spec = self.spec(database_path=database_path, env=env)
        try:
            return subprocess.run(
                [console_script("coord-api")], env=dict(spec.env), capture_output=True,
                text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"coord-api kept running for {timeout} s; stderr:\n{expired.stderr!r}")

    def _launch(self, spec: ServerSpec) -> CoordApi:
        env = {**spec.env, "COORD_PORT": str(spec.port)}
        stderr_path = spec.log_dir / f"stderr-{len(self._started) + 1}.log"
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [console_script("coord-api")], env=env, stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=stderr, cwd=spec.log_dir,
            )  # fmt: skip
        server = CoordApi(spec, process, stderr_path)
        self._started.append(server)
        return server


def _wait_ready(server: CoordApi) -> bool:
    """Poll `/readyz` until 200 (True) or until the process exits or the deadline passes."""
    deadline = time.monotonic() + START_DEADLINE_SEC
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline and server.is_running():
            try:
                if client.get("/readyz").status_code == 200:
                    return True
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(_POLL_INTERVAL_SEC)  # start-up has no event to wait on but the socket
    return False


def wait_until(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    """Look at `predicate` until it holds; fail naming `what` after `seconds`.

    For a state another process reaches on its own (a lease taken over, a claim expired): there
    is no event of that process to wait on from here, only its observable state.
    """
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        time.sleep(_POLL_INTERVAL_SEC)


def serving(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CoordApiFactory]:
    """A factory whose servers belong to the requesting node; all are stopped when it resumes."""
    started: list[CoordApi] = []
    request.node.stash[_LOGS_KEY] = started  # the test, or the module for a shared server
    yield CoordApiFactory(tmp_path_factory.mktemp("coord-api"), started)
    for server in started:
        server.stop()


def attach_server_logs(item: pytest.Item, report: pytest.TestReport) -> None:
    """Add the stderr of every server a failing test used (its own or its module's) to `report`."""
    if not report.failed:
        return
    servers = [server for node in item.listchain() for server in node.stash.get(_LOGS_KEY, [])]
    for number, server in enumerate(servers, start=1):
        title = f"coord-api stderr ({number}, port {server.spec.port})"
        report.sections.append((title, server.stderr_text()))


# -- git repositories --------------------------------------------------------------------------

GitRepoFactory = Callable[..., Path]
"""`make(files, *, commit=True) -> Path`: see `git_repo_maker`."""


def _git_env(home: Path) -> dict[str, str]:
    """An environment in which git reads no user or system configuration.

    Every inherited `GIT_*` variable is dropped: one exported by a hook that runs these tests
    (`GIT_DIR`, `GIT_INDEX_FILE`) would point git at another repository.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "coord tests",
        "GIT_AUTHOR_EMAIL": "tests@coord.invalid",
        "GIT_COMMITTER_NAME": "coord tests",
        "GIT_COMMITTER_EMAIL": "tests@coord.invalid",
    })  # fmt: skip
    return env


def git_repo_maker(tmp_path_factory: pytest.TempPathFactory) -> GitRepoFactory:
    """Makes git repositories: `make({"src/a.ts": "text", ...}) -> Path` of the checkout.

    Files given as a mapping get that content; an iterable of paths gets a line naming the path.
    Everything is committed on branch `main` unless `commit=False` (then only written and added
    to the index, which `git ls-files` lists all the same). Skips the test without git.
    """
    git = require_tool("git")
    env = _git_env(tmp_path_factory.mktemp("git-home"))

    def make(files: Mapping[str, str] | Iterable[str], *, commit: bool = True) -> Path:
        root = tmp_path_factory.mktemp("repo")
        contents = files if isinstance(files, Mapping) else {path: f"{path}\n" for path in files}
        for path, text in contents.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        steps = [["init", "-q", "-b", "main"], ["add", "-A"]]
        if commit:
            steps.append(["commit", "-q", "--no-gpg-sign", "--allow-empty", "-m", "fixture files"])
        for step in steps:
            subprocess.run([git, *step], cwd=root, env=env, check=True, capture_output=True)
        return root

    return make
