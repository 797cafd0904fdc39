"""Development sessions: `uv run nox` runs lint, typecheck, tests and isolation.

The everyday sessions reuse the workspace environment that `uv run` has just synced from
uv.lock, so nothing is resolved twice. The isolation session builds fresh environments on purpose:
it proves that a client package installed alone pulls in no server dependency.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "isolation"]
nox.options.error_on_missing_interpreters = True

ROOT = Path(__file__).parent
SOURCES = sorted(str(path) for path in ROOT.glob("packages/*/src"))
CLIENT_PACKAGES = {
    "coord-protocol": "coord_protocol",
    "coord-mcp": "coord_mcp",
    "coord-cli": "coord_cli",
    "coord-hooks": "coord_hooks",
}
SERVER_MODULES = ("starlette", "sqlalchemy", "uvicorn", "tree_sitter", "coord_server")
# The official MCP SDK requires starlette and uvicorn itself (for its HTTP transports), so
# coord-mcp cannot keep them out of its closure; everything else of the server stays out.
ALLOWED_BY_PACKAGE = {"coord-mcp": ("starlette", "uvicorn")}


def _uv_run(session: nox.Session, *args: str) -> None:
    session.run("uv", "run", "--frozen", *args, external=True)


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """Formatting and lint rules."""
    _uv_run(session, "ruff", "format", "--check", ".")
    _uv_run(session, "ruff", "check", ".")


@nox.session(venv_backend="none")
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package's sources and the benchmarks."""
    _uv_run(session, "mypy", *SOURCES, *sorted(str(path) for path in ROOT.glob("bench/*.py")))


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """The whole test suite, slow tests included; extra pytest arguments pass through."""
    _uv_run(session, "pytest", *(session.posargs or ["-q"]))


@nox.session(venv_backend="none")
def isolation(session: nox.Session) -> None:
    """Each client package, installed alone from uv.lock, cannot import the server's stack."""
    for package, module in CLIENT_PACKAGES.items():
        with tempfile.TemporaryDirectory() as scratch:
            _check_alone(session, package, module, Path(scratch))


def _check_alone(session: nox.Session, package: str, module: str, scratch: Path) -> None:
    requirements = scratch / "requirements.txt"
    venv = scratch / "venv"
    session.run(
        "uv", "export", "--frozen", "--quiet", "--no-dev", "--no-hashes", "--no-editable",
        "--package", package, "--output-file", str(requirements),
        external=True,
    )  # fmt: skip
    session.run("uv", "venv", "--quiet", str(venv), external=True)
    python = str(venv / "bin" / "python")
    session.run(
        "uv", "pip", "install", "--quiet", "--python", python, "-r", str(requirements),
        external=True,
    )  # fmt: skip
    forbidden = tuple(m for m in SERVER_MODULES if m not in ALLOWED_BY_PACKAGE.get(package, ()))
    probe = (
        f"import importlib.util, {module}\n"
        f"found = [m for m in {forbidden!r} if importlib.util.find_spec(m)]\n"
        f"assert not found, '{package} installed alone can import: ' + ', '.join(found)\n"
        f"print('{package}: alone, no server dependency importable')\n"
    )
    session.run(python, "-c", probe, external=True)


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Benchmarks: prints the tables that docs/performance.md records."""
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        session.log(f"== {script.name}")
        _uv_run(session, "python", str(script), *session.posargs)
