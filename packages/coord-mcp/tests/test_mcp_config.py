"""Configuration resolution (SPEC §10.1): explicit environment first, local.env for the rest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coord_mcp.config import DEFAULT_API_URL, is_placeholder, resolve_config
from coord_mcp.stdio import hints_for
from coord_protocol.local_env import find_local_env, parse_local_env

TEMPLATE_ENV = {
    "COORD_API_URL": "http://127.0.0.1:8080",
    "COORD_AUTH_TOKEN": "set-me",
    "COORD_REPO_ID": "example-org/example-repo",
}
"""What the tracked MCP registrations put in coord-mcp's environment."""


def write_local_env(root: Path, text: str) -> Path:
    path = root / ".coordination" / "local.env"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def nested(tmp_path: Path) -> Path:
    """A working directory two levels below the repository root `tmp_path`."""
    cwd = tmp_path / "services" / "api"
    cwd.mkdir(parents=True)
    return cwd


def test_placeholders_are_replaced_from_local_env_two_directories_up(
    tmp_path: Path, nested: Path
) -> None:
    local_env = write_local_env(
        tmp_path,
        "COORD_API_URL=http://coord.example:9000\n"
        "COORD_AUTH_TOKEN=real-token-123\n"
        "COORD_REPO_ID=acme/web\n",
    )
    config = resolve_config(TEMPLATE_ENV, nested)
    assert config.api_url == "http://coord.example:9000"
    assert config.token == "real-token-123"
    assert config.repo_id == "acme/web"
    assert config.local_env == local_env
    assert config.token_source == str(local_env)
    assert config.repo_root == tmp_path


def test_unset_keys_are_filled_from_local_env(tmp_path: Path, nested: Path) -> None:
    write_local_env(tmp_path, "COORD_AUTH_TOKEN=real-token-123\nCOORD_USER=alex/claude/main\n")
    config = resolve_config({}, nested)
    assert config.token == "real-token-123"
    assert config.user == "alex/claude/main"
    assert config.api_url == DEFAULT_API_URL


def test_an_explicit_real_value_wins_over_local_env(tmp_path: Path, nested: Path) -> None:
    write_local_env(tmp_path, "COORD_AUTH_TOKEN=file-token\nCOORD_REPO_ID=acme/from-file\n")
    environ = {**TEMPLATE_ENV, "COORD_AUTH_TOKEN": "shell-token", "COORD_REPO_ID": "acme/shell"}
    config = resolve_config(environ, nested)
    assert config.token == "shell-token"
    assert config.repo_id == "acme/shell"
    assert config.sources["COORD_AUTH_TOKEN"] == "environment"


def test_a_shell_token_never_goes_to_local_envs_url(tmp_path: Path, nested: Path) -> None:
    write_local_env(tmp_path, "COORD_API_URL=http://parent:9\nCOORD_AUTH_TOKEN=file-token\n")
    shell = resolve_config({**TEMPLATE_ENV, "COORD_AUTH_TOKEN": "shell-token"}, nested)
    assert (shell.api_url, shell.token) == (DEFAULT_API_URL, "shell-token")
    url_only = resolve_config({"COORD_API_URL": "http://elsewhere:7"}, nested)
    assert (url_only.api_url, url_only.token) == ("http://elsewhere:7", None)


def test_keys_outside_the_allowlist_are_ignored(tmp_path: Path, nested: Path) -> None:
    write_local_env(tmp_path, "COORD_SESSION_ID=from-file\nPATH=/evil\nCOORD_REPO_ID=acme/web\n")
    config = resolve_config({}, nested, new_session_id=lambda: "generated0000000")
    assert config.session_id == "generated0000000"
    assert "PATH" not in config.sources
    assert config.repo_id == "acme/web"


def test_a_placeholder_token_is_never_kept(tmp_path: Path, nested: Path) -> None:
    local_env = write_local_env(tmp_path, "COORD_AUTH_TOKEN=set-me\n")
    config = resolve_config(TEMPLATE_ENV, nested)
    assert config.token is None
    assert config.repo_id is None  # the template's example repo counts as unset
    hints = hints_for(config)
    assert str(local_env) in hints.fix_auth
    assert "placeholder" in hints.fix_auth
    assert hints.config_file == str(local_env)


def test_without_any_local_env_the_error_names_where_to_create_it(nested: Path) -> None:
    config = resolve_config(TEMPLATE_ENV, nested)
    assert config.local_env is None
    assert config.token is None
    hints = hints_for(config)
    assert str(config.expected_local_env) in hints.fix_auth
    assert config.expected_local_env.name == "local.env"


def test_a_refused_explicit_token_points_at_the_environment(tmp_path: Path, nested: Path) -> None:
    write_local_env(tmp_path, "COORD_AUTH_TOKEN=file-token\n")
    config = resolve_config({"COORD_AUTH_TOKEN": "shell-token"}, nested)
    hints = hints_for(config)
    assert "environment" in hints.fix_auth
    assert hints.config_file is None


def test_fix_lines_say_where_the_token_is_and_to_start_the_service(
    tmp_path: Path, nested: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_local_env(tmp_path, "COORD_AUTH_TOKEN=file-token\n")
    monkeypatch.setenv("COORD_HOME", str(tmp_path / "home"))
    hints = hints_for(resolve_config({}, nested))
    assert str(tmp_path / "home" / "token") in hints.fix_auth
    first_sentence = hints.fix_unreachable.split(". ")[0]
    assert "Start the coord service" in first_sentence and "restart" not in first_sentence
    assert "reconnects by itself" in hints.fix_unreachable


def test_shell_code_in_local_env_is_data_not_commands(tmp_path: Path, nested: Path) -> None:
    marker = tmp_path / "executed"
    write_local_env(
        tmp_path,
        f"COORD_AUTH_TOKEN=$(touch {marker})\n"
        f"COORD_USER=`touch {marker}`\n"
        f'COORD_BRANCH="$(touch {marker})"\n'
        f"COORD_REPO_ID=acme/web; touch {marker}\n",
    )
    config = resolve_config({}, nested)
    assert not marker.exists()
    assert config.token == f"$(touch {marker})"
    assert config.user == f"`touch {marker}`"
    assert config.branch == f"$(touch {marker})"
    assert config.repo_id == f"acme/web; touch {marker}"


def test_coord_session_id_pins_the_session(nested: Path) -> None:
    config = resolve_config({"COORD_SESSION_ID": "agent-7:main"}, nested)
    assert config.session_id == "agent-7:main"


def test_without_a_pin_each_process_gets_its_own_16_hex_session(nested: Path) -> None:
    first = resolve_config({}, nested).session_id
    second = resolve_config({}, nested).session_id
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert first != second


def test_an_invalid_session_pin_is_replaced(nested: Path) -> None:
    config = resolve_config({"COORD_SESSION_ID": "has spaces/and slashes"}, nested)
    assert re.fullmatch(r"[0-9a-f]{16}", config.session_id)


def test_client_validation_can_be_disabled(nested: Path) -> None:
    assert resolve_config({}, nested).validate_symbols
    assert not resolve_config({"COORD_DISABLE_CLIENT_VALIDATION": "1"}, nested).validate_symbols


def test_the_branch_comes_from_coord_branch_first(nested: Path) -> None:
    assert resolve_config({"COORD_BRANCH": "feature/x"}, nested).branch == "feature/x"


def test_the_branch_comes_from_git_otherwise(git_repo) -> None:  # type: ignore[no-untyped-def]
    root = git_repo({"src/a.py": "x = 1\n"})
    (root / "src").mkdir(exist_ok=True)
    config = resolve_config({}, root / "src")
    assert config.branch == "main"
    assert config.repo_root == root


@pytest.mark.parametrize(
    "value",
    ["set-me", "example-org/example-repo", "http://127.0.0.1:8080", "http://127.0.0.1:8080/", ""],
)
def test_documented_placeholders(value: str) -> None:
    assert is_placeholder(value)


def test_real_values_are_not_placeholders() -> None:
    assert not is_placeholder("http://127.0.0.1:9090")
    assert not is_placeholder("acme/web")


def test_local_env_is_found_in_the_nearest_parent(tmp_path: Path, nested: Path) -> None:
    outer = write_local_env(tmp_path, "COORD_REPO_ID=acme/outer\n")
    assert find_local_env(nested) == outer
    inner = write_local_env(nested.parent, "COORD_REPO_ID=acme/inner\n")
    assert find_local_env(nested) == inner


def test_local_env_syntax() -> None:
    text = (
        "# comment\n"
        "\n"
        "export COORD_AUTH_TOKEN=abc\n"
        "COORD_API_URL = 'http://h:1'  # trailing comment\n"
        'COORD_REPO_ID="acme/web" # note\n'
        "COORD_BRANCH=feat#1\n"
        "COORD_USER=alex # me\n"
        "not a pair\n"
        "1BAD=x\n"
    )
    assert parse_local_env(text) == {
        "COORD_AUTH_TOKEN": "abc",
        "COORD_API_URL": "http://h:1",
        "COORD_REPO_ID": "acme/web",
        "COORD_BRANCH": "feat#1",
        "COORD_USER": "alex",
    }
