"""The shared local.env resolver: environment first, the nearest file fills the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coord_protocol.local_env import (
    CONNECTION_KEYS,
    ENVIRONMENT,
    connection_from_environment,
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


LOCAL = Path("/r/.coordination/local.env")
FILE_PAIR = {"COORD_API_URL": "http://file", "COORD_AUTH_TOKEN": "file-token"}


def test_real_environment_values_win_and_placeholders_do_not() -> None:
    from_file = {**FILE_PAIR, "COORD_REPO_ID": "acme/web", "COORD_USER": "alex"}
    environ = {"COORD_API_URL": "http://127.0.0.1:8080", "COORD_AUTH_TOKEN": "set-me",
               "COORD_USER": "sam"}  # fmt: skip
    resolved = merge_local_env(environ, from_file, LOCAL)
    assert resolved.real("COORD_API_URL") == "http://file"
    assert resolved.real("COORD_AUTH_TOKEN") == "file-token"
    assert resolved.sources["COORD_AUTH_TOKEN"] == str(LOCAL)
    assert resolved.real("COORD_REPO_ID") == "acme/web"
    assert (resolved.real("COORD_USER"), resolved.sources["COORD_USER"]) == ("sam", ENVIRONMENT)
    assert resolved.real("COORD_BRANCH") is None


@pytest.mark.parametrize(
    ("environ", "url", "token"),
    [
        ({"COORD_API_URL": "http://env"}, "http://env", None),
        ({"COORD_AUTH_TOKEN": "env-token"}, None, "env-token"),
        ({"COORD_AUTH_TOKEN": "env-token", "COORD_API_URL": "set-me"}, None, "env-token"),
        ({"COORD_API_URL": "http://env", "COORD_AUTH_TOKEN": "env-token"}, "http://env",
         "env-token"),
        ({"COORD_API_URL": "", "COORD_AUTH_TOKEN": "changeme"}, "http://file", "file-token"),
    ],
)  # fmt: skip
def test_url_and_token_always_come_from_one_source(
    environ: dict[str, str], url: str | None, token: str | None
) -> None:
    resolved = merge_local_env(environ, FILE_PAIR, LOCAL)
    assert (resolved.real("COORD_API_URL"), resolved.real("COORD_AUTH_TOKEN")) == (url, token)
    expected_source = ENVIRONMENT if connection_from_environment(environ) else str(LOCAL)
    assert {resolved.sources.get(key, ENVIRONMENT) for key in CONNECTION_KEYS} == {expected_source}


def test_a_parent_directorys_file_never_completes_the_shells_token(tmp_path: Path) -> None:
    (tmp_path / ".coordination").mkdir()
    (tmp_path / ".coordination" / "local.env").write_text(
        "COORD_API_URL=http://parent:9\nCOORD_AUTH_TOKEN=parent-token\nCOORD_REPO_ID=acme/web\n"
    )
    child = tmp_path / "other-project"
    child.mkdir()
    resolved = resolve_local_env({"COORD_AUTH_TOKEN": "coord_pat_shell"}, child)
    assert resolved.real("COORD_API_URL") is None  # the client's default, not the parent's URL
    assert resolved.real("COORD_AUTH_TOKEN") == "coord_pat_shell"
    assert resolved.real("COORD_REPO_ID") == "acme/web"


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
