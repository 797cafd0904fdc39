"""Resolving the hooks' configuration: environment first, then `local.env` read as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord_hooks.config import PrePushMode, resolve_hook_config
from coord_protocol.local_env import DEFAULT_API_URL


def write_local_env(root: Path, text: str) -> Path:
    """`root/.coordination/local.env` with `text`."""
    path = root / ".coordination" / "local.env"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_local_env_is_read_as_data_never_expanded(tmp_path: Path) -> None:
    write_local_env(
        tmp_path,
        "# written by coord init\nexport COORD_API_URL=http://coord.internal:8080\n"
        "COORD_AUTH_TOKEN='tok $(rm -rf /) `id`'\nCOORD_USER=$USER # comment\nnot a line\n",
    )

    config = resolve_hook_config({}, tmp_path)

    assert config.api_url == "http://coord.internal:8080"
    assert config.token == "tok $(rm -rf /) `id`"
    assert config.user == "$USER"


def test_local_env_is_found_walking_up_then_in_the_fallback(tmp_path: Path) -> None:
    main = tmp_path / "main"
    found = write_local_env(main, "COORD_USER=alice\n")
    nested = main / "src" / "deep"
    nested.mkdir(parents=True)
    worktree = tmp_path / "linked"
    worktree.mkdir()

    assert resolve_hook_config({}, nested).local_env == found
    assert resolve_hook_config({}, worktree).local_env is None
    linked = resolve_hook_config({}, worktree, [tmp_path / "nowhere", main])
    assert (linked.local_env, linked.user) == (found, "alice")


def test_the_environment_wins_and_placeholders_count_as_unset(tmp_path: Path) -> None:
    write_local_env(
        tmp_path,
        "COORD_API_URL=http://from-file:1\nCOORD_AUTH_TOKEN=file-token\n"
        "COORD_REPO_ID=shop/web\nCOORD_USER=alice\n",
    )
    environ = {
        "COORD_API_URL": "http://127.0.0.1:8080",
        "COORD_AUTH_TOKEN": "set-me",
        "COORD_REPO_ID": "example-org/example-repo",
    }

    config = resolve_hook_config(environ, tmp_path)

    assert (config.api_url, config.token) == ("http://from-file:1", "file-token")
    assert config.repo_id == "shop/web"
    assert config.user == "alice"
    assert config.configured


def test_url_and_token_come_from_one_source(tmp_path: Path) -> None:
    write_local_env(tmp_path, "COORD_API_URL=http://from-file:1\nCOORD_AUTH_TOKEN=file-token\n")

    url_only = resolve_hook_config({"COORD_API_URL": "http://from-env:2/"}, tmp_path)
    token_only = resolve_hook_config({"COORD_TOKEN": "env-token"}, tmp_path)

    assert (url_only.api_url, url_only.token) == ("http://from-env:2", None)
    assert (token_only.api_url, token_only.token) == (DEFAULT_API_URL, "env-token")


def test_legacy_names_are_read_after_the_current_ones(tmp_path: Path) -> None:
    write_local_env(tmp_path, "COORD_SERVICE_URL=http://legacy-file:3\nCOORD_TOKEN=old\n")

    from_file = resolve_hook_config({}, tmp_path)
    both = resolve_hook_config({"COORD_API_URL": "http://current:4"}, tmp_path)

    assert (from_file.api_url, from_file.token) == ("http://legacy-file:3", "old")
    assert (both.api_url, both.token) == ("http://current:4", None)


def test_nothing_configured_means_defaults_and_not_configured(tmp_path: Path) -> None:
    config = resolve_hook_config({}, tmp_path)

    assert config.api_url == DEFAULT_API_URL.rstrip("/")
    assert config.token is None
    assert config.local_env is None
    assert not config.configured
    assert config.prepush_mode is PrePushMode.ENFORCE


@pytest.mark.parametrize(
    ("value", "mode", "warned"),
    [("advise", PrePushMode.ADVISE, False), ("ENFORCE", PrePushMode.ENFORCE, False),
     ("warn", PrePushMode.ENFORCE, True)],
)  # fmt: skip
def test_prepush_mode(tmp_path: Path, value: str, mode: PrePushMode, warned: bool) -> None:
    config = resolve_hook_config({"COORD_PREPUSH_MODE": value}, tmp_path)

    assert config.prepush_mode is mode
    assert bool(config.warnings) is warned
    if warned:
        assert "COORD_PREPUSH_MODE='warn'" in config.warnings[0]


def test_an_unreadable_local_env_is_a_warning(tmp_path: Path) -> None:
    path = write_local_env(tmp_path, "")
    path.write_bytes(b"\xff\xfe COORD_USER=\x80")

    config = resolve_hook_config({"COORD_USER": "bob"}, tmp_path)

    assert config.user == "bob"
    assert str(path) in config.warnings[0]
