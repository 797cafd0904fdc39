"""Start-up benchmark: what a hook call costs an agent, and how long `coord-api` takes to serve.

Run with `uv run nox -s bench` or `uv run python bench/bench_startup.py [--quick] [--no-docs]`.

1. Hooks: `coord-hook claude pre-tool-use` (an Edit of a file the session already holds: the
   call an agent pays on every edit) and `coord-hook pre-push` (one pushed commit changing one
   file), each against a real `coord-api` on loopback, beside a bare `python -c pass` started
   the same way. Target: under 150 ms each; the ratio to the bare start is the figure that
   survives a busy machine. Also the two hooks around a read-only Bash command (`PreToolUse`
   then `PostToolUse`, each reading `git status` of a 10,000-file checkout): what attributing
   shell writes adds to every command. Target: under 100 ms together.
2. Server: launch to the first `200` from `/readyz` of `coord-api` on a new SQLite database
   (the migrations run), on the same database again (already at the head revision: the
   ordinary restart), and of a trivial Starlette app served by uvicorn the same way. Target: the
   restart at most 2x the trivial app.

Each figure is given twice: wall time, and CPU time (the hook with the git processes it runs,
from the children's resource usage; the server's own, from /proc, at the moment it is ready).
CPU time is what survives a machine shared with other work. Samples of the things compared
are interleaved, so a change in the machine's load hits all of
them alike; each figure is a median. Every measured process may write bytecode caches
(`PYTHONDONTWRITEBYTECODE` is dropped from its environment) and one unmeasured run of each comes
first, so the figures are those of an installed coord whose modules have run once, not of a
first run compiling every module from source. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from _server_process import BENCH_DIR, coord_api, free_port, stop_process
from _server_report import code_version, machine

DOCUMENT = BENCH_DIR.parent / "docs" / "performance.md"
BEGIN_MARKER = "<!-- startup: begin (written by bench/bench_startup.py) -->"
END_MARKER = "<!-- startup: end -->"
READY_TIMEOUT_SEC = 60.0
POLL_SEC = 0.005
"""How often `/readyz` is asked during a launch: the resolution of the launch figures."""
REPO_ID = "acme/web"
SESSION = "bench-startup-session"
HOOK_TARGET_MS = 150.0
BASH_TARGET_MS = 100.0
"""What the Bash hooks together may add to one shell command (SPEC §16)."""
LARGE_FILES = 10_000
BASH_HOOKS = "Bash: pre-tool-use + post-tool-use, 10,000-file repo"
START_TARGET_RATIO = 2.0


@dataclass(frozen=True, slots=True)
class Plan:
    """How many samples of each thing compared."""

    hook_samples: int
    launches: int


@dataclass(frozen=True, slots=True)
class Timing:
    """One sample: elapsed time and CPU time spent, in the same unit."""

    wall: float
    cpu: float


Samples = dict[str, list[Timing]]


FULL = Plan(hook_samples=30, launches=7)
QUICK = Plan(hook_samples=5, launches=2)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure hooks and launches, print the tables, write them into docs unless told not to."""
    options = _parse(argv)
    plan = QUICK if options.quick else FULL
    measured_on = machine()
    with tempfile.TemporaryDirectory(prefix="coord-bench-startup-") as scratch_name:
        scratch = Path(scratch_name)
        hooks = measure_hooks(scratch, plan)
        launches = measure_launches(scratch, plan)
    tables = [hooks_table(hooks), launches_table(launches), targets_table(hooks, launches)]
    print("\n\n".join(tables))
    if not (options.quick or options.no_docs):
        _write(tables, measured_on, plan)
    return 0


# Hooks ----------------------------------------------------------------------------------------


def measure_hooks(scratch: Path, plan: Plan) -> Samples:
    """Milliseconds per call of each hook and of a bare interpreter start, interleaved."""
    token = secrets.token_urlsafe(24)
    with coord_api(scratch, token, None) as server:
        url = f"http://127.0.0.1:{server.port}"
        checkout, refs = _checkout(scratch / "shop", url, token)
        large = _large_checkout(scratch / "large", url, token)
        env = _hook_environment(scratch)
        hook = str(Path(sys.executable).parent / "coord-hook")
        edit: Step = ([hook, "claude", "pre-tool-use"], _edit_payload(checkout))
        commands: dict[str, tuple[Path, list[Step]]] = {
            "python -c pass": (checkout, [([sys.executable, "-c", "pass"], "")]),
            "coord-hook claude pre-tool-use": (checkout, [edit]),
            "coord-hook pre-push": (checkout, [([hook, "pre-push", "origin", "unused"], refs)]),
            BASH_HOOKS: (large, [
                ([hook, "claude", "pre-tool-use"], _bash_payload(large, "PreToolUse")),
                ([hook, "claude", "post-tool-use"], _bash_payload(large, "PostToolUse")),
            ]),
        }  # fmt: skip
        # Unmeasured: the first edit claims the file (the ones measured find it held by the
        # session, and the pushed change under alice's claim), and every command writes its
        # bytecode caches.
        for cwd, steps in commands.values():
            _run(steps, cwd, env)
        samples: Samples = {name: [] for name in commands}
        for _ in range(plan.hook_samples):
            for name, (cwd, steps) in commands.items():
                samples[name].append(_run(steps, cwd, env))
    return samples


Step = tuple[list[str], str]
"""One process of a measured command: its arguments and its stdin."""


def _run(steps: Sequence[Step], cwd: Path, env: Mapping[str, str]) -> Timing:
    """The time of the processes of `steps`, run one after the other (a Bash call's hooks)."""
    cpu_before, started = _children_cpu(), time.perf_counter()
    for argv, stdin in steps:
        done = subprocess.run(  # noqa: S603 - our own interpreter and console scripts
            argv, input=stdin, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or done.stdout.strip():  # a decision or a warning
            raise RuntimeError(
                f"{argv[1:]} did not measure a plain call:\n{done.stdout}{done.stderr}"
            )
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    return Timing(elapsed * 1000, cpu * 1000)


def _large_checkout(root: Path, url: str, token: str) -> Path:
    """A wired checkout of `LARGE_FILES` committed files, a few of them modified."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    for number in range(LARGE_FILES):
        directory = root / "src" / f"pkg{number // 100:03d}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"mod{number % 100:02d}.py").write_text(f"VALUE = {number}\n")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "many files")
    for number in range(5):
        (root / "src" / "pkg000" / f"mod{number:02d}.py").write_text("VALUE = -1\n")
    _wire(root, url, token)
    return root


def _wire(root: Path, url: str, token: str) -> None:
    local_env = root / ".coordination" / "local.env"
    local_env.parent.mkdir()
    local_env.write_text(
        f"COORD_API_URL={url}\nCOORD_AUTH_TOKEN={token}\nCOORD_REPO_ID={REPO_ID}\n"
        "COORD_USER=alice\n"
    )
    (root / ".git" / "info" / "exclude").write_text("/.coordination/\n")


def _children_cpu() -> float:
    """CPU seconds of every child process waited for so far (a hook's git processes too)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _checkout(root: Path, url: str, token: str) -> tuple[Path, str]:
    """A git checkout wired to the service, with one commit to push; its pre-push input."""
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "app.py").write_text("def handler():\n    return 1\n")
    _git(root, "add", "app.py")
    _git(root, "commit", "-q", "-m", "first")
    (root / "app.py").write_text("def handler():\n    return 2\n")
    _git(root, "commit", "-q", "-am", "second")
    _wire(root, url, token)
    head, parent = (_git(root, "rev-parse", rev).strip() for rev in ("HEAD", "HEAD~1"))
    return root, f"refs/heads/main {head} refs/heads/main {parent}\n"


def _git(root: Path, *args: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise RuntimeError("the hook benchmark needs git on PATH")
    done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [git, "-C", str(root), *args], capture_output=True, text=True, check=True,
        env=_git_identity(),
    )  # fmt: skip
    return done.stdout


def _git_identity() -> dict[str, str]:
    names = {"GIT_AUTHOR_NAME": "Alice", "GIT_COMMITTER_NAME": "Alice"}
    emails = {"GIT_AUTHOR_EMAIL": "alice@shop.invalid", "GIT_COMMITTER_EMAIL": "alice@shop.invalid"}
    return {**os.environ, **names, **emails, "GIT_CONFIG_GLOBAL": os.devnull}


def _hook_environment(scratch: Path) -> dict[str, str]:
    clean = {k: v for k, v in _measured_environment().items() if not k.startswith("GIT_")}
    return {**clean, "HOME": str(scratch), "GIT_CONFIG_GLOBAL": os.devnull}


def _measured_environment() -> dict[str, str]:
    """This process's environment without `COORD_*` settings and with bytecode caching on."""
    dropped = {"PYTHONDONTWRITEBYTECODE"}
    return {k: v for k, v in os.environ.items() if not k.startswith("COORD_") and k not in dropped}


def _edit_payload(checkout: Path) -> str:
    return json.dumps({
        "session_id": SESSION, "cwd": str(checkout), "hook_event_name": "PreToolUse",
        "tool_name": "Edit",
        "tool_input": {"file_path": str(checkout / "app.py"), "old_string": "return 2",
                       "new_string": "return 3"},
    })  # fmt: skip


def _bash_payload(checkout: Path, event: str) -> str:
    """A read-only Bash call's hook payload: the hooks' own cost, with nothing to claim."""
    return json.dumps({
        "session_id": SESSION, "cwd": str(checkout), "hook_event_name": event,
        "tool_name": "Bash", "tool_use_id": "toolu_bench",
        "tool_input": {"command": "git log --oneline -3", "description": "Recent history"},
    })  # fmt: skip


# Launches ------------------------------------------------------------------------------------


def measure_launches(scratch: Path, plan: Plan) -> Samples:
    """Launch-to-ready seconds of coord-api (new database, then at head) and the trivial app."""
    samples: Samples = {name: [] for name in LAUNCHES}
    for round_number in range(plan.launches + 1):  # round 0 writes the bytecode caches
        database = scratch / f"launch-{round_number}.db"
        for name, command in LAUNCHES.items():
            seconds = command(scratch, database)
            if round_number:
                samples[name].append(seconds)
    return samples


def _coord_api(scratch: Path, database: Path) -> Timing:
    port = free_port()
    environment = {
        "COORD_AUTH_TOKEN": secrets.token_urlsafe(24),
        "COORD_HOST": "127.0.0.1",
        "COORD_PORT": str(port),
        "COORD_DATABASE_PATH": str(database),
        "COORD_LOG_LEVEL": "warning",
    }
    command = [str(Path(sys.executable).parent / "coord-api")]
    return launch_to_ready(command, environment, port, scratch / f"api-{port}.log")


def _trivial_app(scratch: Path, _database: Path) -> Timing:
    port = free_port()
    command = [sys.executable, str(BENCH_DIR / "_server_ceiling.py"), str(port)]
    command.append(str(scratch / f"trivial-{port}.db"))
    return launch_to_ready(command, {}, port, scratch / f"trivial-{port}.log")


LAUNCHES: dict[str, Callable[[Path, Path], Timing]] = {
    "coord-api, new database (migrations run)": _coord_api,
    "coord-api, database at head (restart)": _coord_api,
    "trivial Starlette app (uvicorn, SQLite)": _trivial_app,
}
"""In this order per round: the first launch creates the database the second finds at head."""


def launch_to_ready(
    command: list[str], environment: Mapping[str, str], port: int, log_path: Path
) -> Timing:
    """Seconds from starting `command` to its first `200` from `/readyz`, and its CPU seconds."""
    clean = _measured_environment()
    with log_path.open("wb") as log, _started(command, {**clean, **environment}, log) as process:
        started = time.perf_counter()
        deadline = started + READY_TIMEOUT_SEC
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {log_path.read_text(errors='replace')}")
            if _ready(port):
                return Timing(time.perf_counter() - started, _process_cpu(process.pid))
            time.sleep(POLL_SEC)
    raise RuntimeError(f"{command[0]} not ready within {READY_TIMEOUT_SEC:g} s")


@contextlib.contextmanager
def _started(
    command: list[str], environment: Mapping[str, str], log: IO[bytes]
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and console scripts
        command, env=dict(environment), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        stop_process(process)


def _process_cpu(pid: int) -> float:
    """CPU seconds process `pid` has used, all its threads (ended ones too), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12])  # utime and stime: fields 14 and 15 of stat(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def _ready(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


# Report --------------------------------------------------------------------------------------


def hooks_table(samples: Samples) -> str:
    """Median and spread of each command, and its ratios to the bare interpreter start."""
    bare = _medians(samples["python -c pass"])
    lines = [
        "| command | samples | median ms | p90 ms | / bare start | CPU ms | CPU / bare start |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, values in samples.items():
        wall, cpu = _medians(values)
        p90 = _p90([value.wall for value in values])
        lines.append(
            f"| `{name}` | {len(values)} | {wall:.1f} | {p90:.1f} | {wall / bare[0]:.1f}x "
            f"| {cpu:.1f} | {cpu / bare[1]:.1f}x |"
        )
    return "\n".join(lines)


def launches_table(samples: Samples) -> str:
    """Median launch-to-ready of each server, and its ratios to the trivial app."""
    trivial = _medians(samples[TRIVIAL])
    lines = [
        "| server | launches | median s | max s | / trivial app | CPU s | CPU / trivial app |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, values in samples.items():
        wall, cpu = _medians(values)
        longest = max(value.wall for value in values)
        lines.append(
            f"| {name} | {len(values)} | {wall:.2f} | {longest:.2f} | {wall / trivial[0]:.1f}x "
            f"| {cpu:.2f} | {cpu / trivial[1]:.1f}x |"
        )
    return "\n".join(lines)


TRIVIAL = "trivial Starlette app (uvicorn, SQLite)"
RESTART = "coord-api, database at head (restart)"
HOOKS = ("coord-hook claude pre-tool-use", "coord-hook pre-push")


def targets_table(hooks: Samples, launches: Samples) -> str:
    """Each target beside the measured median."""
    lines = ["| target | measured | met |", "|---|--:|---|"]
    for name in HOOKS:
        wall, _cpu = _medians(hooks[name])
        met = "yes" if wall < HOOK_TARGET_MS else "no"
        lines.append(f"| `{name}` under {HOOK_TARGET_MS:g} ms | {wall:.1f} ms | {met} |")
    wall, _cpu = _medians(hooks[BASH_HOOKS])
    met = "yes" if wall < BASH_TARGET_MS else "no"
    lines.append(f"| {BASH_HOOKS} under {BASH_TARGET_MS:g} ms | {wall:.1f} ms | {met} |")
    (wall, cpu), (trivial_wall, trivial_cpu) = (
        _medians(launches[RESTART]),
        _medians(launches[TRIVIAL]),
    )
    for what, ratio in (("wall", wall / trivial_wall), ("CPU", cpu / trivial_cpu)):
        met = "yes" if ratio <= START_TARGET_RATIO else "no"
        lines.append(f"| restart to /readyz at most {START_TARGET_RATIO:g}x the trivial app "
                     f"({what}) | {ratio:.1f}x | {met} |")  # fmt: skip
    return "\n".join(lines)


def _medians(values: Sequence[Timing]) -> tuple[float, float]:
    return statistics.median(v.wall for v in values), statistics.median(v.cpu for v in values)


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few samples; no docs")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/performance.md")
    options, _unknown = parser.parse_known_args(argv)  # the other bench scripts' flags
    return options


def _write(tables: list[str], measured_on: str, plan: Plan) -> None:
    notes = (
        f"Measured on {time.strftime('%Y-%m-%d')}, {measured_on}, {code_version()}. "
        f"{plan.hook_samples} calls of each command and {plan.launches} launches of each server, "
        "interleaved; the service and the hooks share the machine's cores."
    )
    body = "\n\n".join([BEGIN_MARKER, f"### Start-up\n\n{notes}", *tables, END_MARKER])
    text = DOCUMENT.read_text()
    start, end = text.find(BEGIN_MARKER), text.find(END_MARKER)
    if start != -1 and end > start:
        text = text[:start] + body + text[end + len(END_MARKER) :]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    DOCUMENT.write_text(text)
    print(f"written to {DOCUMENT}")


if __name__ == "__main__":
    raise SystemExit(main())
