"""The shared local.env resolver: environment first, the nearest file fills the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from coord_protocol.local_env import (
    ENVIRONMENT,
    is_placeholder,
    merge_local_env,
    parse_local_env,
    resolve_local_env,
)


def test_the_file_is_data_never_shell() -> None:
    text = "export COORD_AUTH_TOKEN='$(rm -rf ~)'\nCOORD_API_URL=http://h:1 # note\nnot a line\n"
    assert parse_local_env(text) == {
        "COORD_AUTH_TOKEN": "$(rm -rf ~)",
        "COORD_API_URL": "http://h:1",
    }


def test_real_environment_values_win_and_placeholders_do_not() -> None:
    from_file = {"COORD_API_URL": "http://file", "COORD_AUTH_TOKEN": "file-token"}
    environ = {"COORD_API_URL": "http://env", "COORD_AUTH_TOKEN": "set-me"}
    resolved = merge_local_env(environ, from_file, Path("/r/.coordination/local.env"))
    assert resolved.real("COORD_API_URL") == "http://env"
    assert resolved.sources["COORD_API_URL"] == ENVIRONMENT
    assert resolved.real("COORD_AUTH_TOKEN") == "file-token"
    assert resolved.sources["COORD_AUTH_TOKEN"] == "/r/.coordination/local.env"
    assert resolved.real("COORD_REPO_ID") is None


def test_the_nearest_file_walking_up_is_used_and_unreadable_ones_are_reported(
    tmp_path: Path,
) -> None:
    (tmp_path / ".coordination").mkdir()
    local_env = tmp_path / ".coordination" / "local.env"
    local_env.write_text("COORD_REPO_ID=acme/web\nOTHER=ignored\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    resolved = resolve_local_env({}, deep)
    assert resolved.local_env == local_env
    assert dict(resolved.values) == {"COORD_REPO_ID": "acme/web"}

    local_env.write_bytes(b"\xff\xfe")
    heard: list[Path] = []
    broken = resolve_local_env({}, deep, lambda path, _exc: heard.append(path))
    assert heard == [local_env]
    assert dict(broken.values) == {}


def test_placeholders() -> None:
    for value in (None, "", " set-me ", "example-org/example-repo", "http://127.0.0.1:8080/"):
        assert is_placeholder(value)
    assert not is_placeholder("http://127.0.0.1:9000")


def test_reading_it_loads_neither_pydantic_nor_httpx() -> None:
    probe = (
        "import sys, coord_protocol.local_env\n"
        "print(sorted(m for m in ('pydantic', 'httpx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
