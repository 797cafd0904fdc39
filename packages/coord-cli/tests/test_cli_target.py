"""Which service and token a command uses: environment, then local.env, then `coord start`'s."""

from __future__ import annotations

from pathlib import Path

from coord_cli.home import CoordHome, ServerRecord
from coord_cli.target import NO_TOKEN, resolve_target


def _home(tmp_path: Path, token: str | None = "home-token", port: int | None = 9100) -> CoordHome:
    home = CoordHome(tmp_path / "coord-home")
    home.ensure()
    if token:
        (home.token_file).write_text(token + "\n")
    if port:
        home.write_server(ServerRecord(1, "127.0.0.1", port, f"http://127.0.0.1:{port}", "t"))
    return home


def _checkout(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "repo"
    (root / ".coordination").mkdir(parents=True)
    (root / ".coordination" / "local.env").write_text(text)
    (root / "deep" / "er").mkdir(parents=True)
    return root / "deep" / "er"


def test_without_configuration_the_local_service_and_its_token_are_used(tmp_path: Path) -> None:
    target = resolve_target({}, tmp_path, _home(tmp_path))
    assert target.api_url == "http://127.0.0.1:9100"
    assert target.token == "home-token"
    assert target.token_source.endswith("token")


def test_local_env_found_walking_up_wins_over_the_home(tmp_path: Path) -> None:
    cwd = _checkout(
        tmp_path, "COORD_API_URL=https://coord.example\nCOORD_AUTH_TOKEN=repo\nCOORD_REPO_ID=a/b\n"
    )
    target = resolve_target({}, cwd, _home(tmp_path))
    assert (target.api_url, target.token, target.repo_id) == (
        "https://coord.example",
        "repo",
        "a/b",
    )
    assert target.token_source == str(tmp_path / "repo" / ".coordination" / "local.env")


def test_the_environment_wins_over_local_env(tmp_path: Path) -> None:
    cwd = _checkout(tmp_path, "COORD_API_URL=https://coord.example\nCOORD_AUTH_TOKEN=repo\n")
    environ = {"COORD_API_URL": "https://other.example/", "COORD_AUTH_TOKEN": "mine"}
    target = resolve_target(environ, cwd, _home(tmp_path))
    assert (target.api_url, target.token, target.token_source) == (
        "https://other.example",
        "mine",
        "environment",
    )


def test_the_local_token_never_goes_to_another_service(tmp_path: Path) -> None:
    cwd = _checkout(tmp_path, "COORD_API_URL=https://coord.example\nCOORD_AUTH_TOKEN=set-me\n")
    target = resolve_target({}, cwd, _home(tmp_path))
    assert target.api_url == "https://coord.example"
    assert target.token is None
    assert target.token_source == NO_TOKEN


def test_placeholders_count_as_unset(tmp_path: Path) -> None:
    environ = {"COORD_API_URL": "http://127.0.0.1:8080", "COORD_AUTH_TOKEN": "set-me"}
    target = resolve_target(environ, tmp_path, _home(tmp_path, port=None))
    assert target.api_url == "http://127.0.0.1:8080"
    assert target.token == "home-token"


def test_a_shell_token_never_goes_to_local_envs_url(tmp_path: Path) -> None:
    cwd = _checkout(tmp_path, "COORD_API_URL=https://coord.example\nCOORD_AUTH_TOKEN=repo\n")
    target = resolve_target({"COORD_AUTH_TOKEN": "mine"}, cwd, _home(tmp_path))
    assert (target.api_url, target.token) == ("http://127.0.0.1:9100", "mine")


def test_a_shell_url_never_gets_local_envs_token(tmp_path: Path) -> None:
    cwd = _checkout(tmp_path, "COORD_API_URL=https://coord.example\nCOORD_AUTH_TOKEN=repo\n")
    target = resolve_target({"COORD_API_URL": "https://other.example"}, cwd, _home(tmp_path))
    assert (target.api_url, target.token, target.token_source) == (
        "https://other.example",
        None,
        NO_TOKEN,
    )
