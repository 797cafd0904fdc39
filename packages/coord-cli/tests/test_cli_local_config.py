"""The gitignored files: local.env written so it reads back unchanged, config.toml round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord_cli._templates import read_template
from coord_cli.errors import CliError
from coord_cli.local_config import (
    RepoConfig,
    env_value,
    merged_tools,
    read_repo_config,
    render_local_env,
    render_repo_config,
    update_local_env,
)
from coord_protocol.local_env import parse_local_env


@pytest.mark.parametrize(
    "value",
    [
        "plain-token_123",
        "http://127.0.0.1:8080",
        "with space",
        "hash # inside",
        "it's",
        'say "hi"',
        "",
    ],
)
def test_values_read_back_as_written(value: str) -> None:
    assert parse_local_env(f"KEY={env_value(value)}\n") == {"KEY": value}


def test_values_that_cannot_be_written_are_refused() -> None:
    with pytest.raises(CliError, match="cannot span lines"):
        env_value("a\nb")
    with pytest.raises(CliError, match="both kinds of quotes"):
        env_value("'\"")


def test_a_new_local_env_holds_the_values() -> None:
    text = render_local_env(
        read_template(".coordination/local.env"),
        {"api_url": "http://h:1", "token": "tok", "repo_id": "acme/web"},
    )
    values = parse_local_env(text)
    assert {k: values[k] for k in ("COORD_API_URL", "COORD_AUTH_TOKEN", "COORD_REPO_ID")} == {
        "COORD_API_URL": "http://h:1",
        "COORD_AUTH_TOKEN": "tok",
        "COORD_REPO_ID": "acme/web",
    }
    assert "COORD_USER" not in values  # only a commented example


def test_updates_change_lines_in_place_and_keep_everything_else() -> None:
    existing = "# mine\nexport COORD_API_URL=http://old\nCOORD_USER=alex/x/y\r\nEXTRA=1"
    updated = update_local_env(existing, {"COORD_API_URL": "http://new", "COORD_REPO_ID": "a/b"})
    assert updated == (
        "# mine\nexport COORD_API_URL=http://new\nCOORD_USER=alex/x/y\r\nEXTRA=1\nCOORD_REPO_ID=a/b\n"
    )
    assert update_local_env(updated, {"COORD_API_URL": "http://new"}) == updated


def test_repo_config_round_trips(tmp_path: Path) -> None:
    config = RepoConfig(
        "remote", 'http://h:1/"x"', ("claude", "codex"), ".coordination/owners.yaml"
    )
    path = tmp_path / "config.toml"
    path.write_text(render_repo_config(read_template(".coordination/config.toml"), config))
    assert read_repo_config(path) == config
    assert read_repo_config(tmp_path / "missing.toml") is None
    path.write_text("mode = \n")
    with pytest.raises(CliError, match=r"^cannot read .*config\.toml \(Invalid value") as refused:
        read_repo_config(path)
    assert refused.value.fix == "fix or delete it; `coord init` writes a new one"


def test_tools_accumulate_in_a_stable_order() -> None:
    assert merged_tools(("cursor", "claude"), "claude") == ("claude", "cursor")
    assert merged_tools((), "codex") == ("codex",)
