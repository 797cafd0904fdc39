"""Settings: read once from COORD_* variables; a bad value names the variable (SPEC §15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord_server.settings import (
    Settings,
    SettingsError,
    insecure_warnings,
    load_settings,
    unknown_variables,
)


def test_defaults_match_the_documented_table(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("COORD_AUTH_TOKEN", "secret")
    settings = load_settings()
    assert (settings.bind_host, settings.port, settings.log_level) == ("0.0.0.0", 8080, "info")
    assert settings.database_path == Path("./data/coordination.db")
    assert (settings.default_ttl_hours, settings.shared_ttl_hours) == (4.0, 2.0)
    assert (settings.max_claim_files, settings.max_claim_ratio) == (100, 0.2)
    assert (settings.idle_timeout_sec, settings.request_ttl_short_sec) == (1800, 300)
    assert settings.webhook_max_retries == 5 and settings.queue_age_boost_seconds == 60
    assert settings.auth_mode == "token" and settings.database_backend == "sqlite"


def test_insecure_mode_listens_on_loopback_unless_told(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("COORD_ALLOW_INSECURE_NO_AUTH", "true")
    quiet = load_settings()
    assert quiet.bind_host == "127.0.0.1"
    assert "127.0.0.1 only" in insecure_warnings(quiet)[0]
    settings_env.setenv("COORD_HOST", "0.0.0.0")
    told = load_settings()
    assert told.bind_host == "0.0.0.0" and "WITHOUT authentication" in insecure_warnings(told)[0]
    settings_env.setenv("COORD_AUTH_TOKEN", "secret")
    assert insecure_warnings(load_settings()) == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COORD_PORT", "eighty"),
        ("COORD_PORT", "70000"),
        ("COORD_DEFAULT_TTL_HOURS", "0"),
        ("COORD_MAX_CLAIM_RATIO", "1.5"),
        ("COORD_LOG_LEVEL", "loud"),
        ("COORD_IDLE_TIMEOUT_SEC", "nan"),
        ("COORD_ALLOW_INSECURE_NO_AUTH", "perhaps"),
        ("COORD_WEBHOOK_URL", "ftp://hooks.invalid/x"),
    ],
)
def test_invalid_value_names_the_variable(
    settings_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    settings_env.setenv("COORD_AUTH_TOKEN", "secret")
    settings_env.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert variable in str(raised.value) and repr(value) in str(raised.value)


def test_no_token_refuses_unless_insecure_is_explicit(settings_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="COORD_ALLOW_INSECURE_NO_AUTH=true"):
        load_settings()
    settings_env.setenv("COORD_ALLOW_INSECURE_NO_AUTH", "true")
    assert load_settings().auth_mode == "insecure-no-auth"


def test_webhook_events_are_a_comma_list(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("COORD_AUTH_TOKEN", "secret")
    settings_env.setenv("COORD_WEBHOOK_EVENTS", " claim_granted, queue_grant ,")
    assert load_settings().webhook_events == frozenset({"claim_granted", "queue_grant"})


def test_every_setting_is_documented() -> None:
    documented = (Path(__file__).parents[3] / "docs" / "configuration.md").read_text()
    missing = [n for n in Settings.model_fields if f"`COORD_{n.upper()}`" not in documented]
    assert missing == []


def test_unknown_variables_are_named_with_the_closest_setting() -> None:
    environ = {
        "COORD_DEFAULT_TTL_HOUR": "2",
        "COORD_API_URL": "http://x",  # a client's variable: known
        "COORD_AUTH_TOKEN": "t",
        "COORD_TEST_REQUIRE_ALL": "1",
        "COORD_ZZZ": "1",
        "PATH": "/bin",
    }
    assert unknown_variables(environ) == [
        "COORD_DEFAULT_TTL_HOUR is not a coord setting and is ignored; did you mean "
        "COORD_DEFAULT_TTL_HOURS?",
        "COORD_ZZZ is not a coord setting and is ignored; see docs/configuration.md",
    ]


def test_repo_roots_are_a_comma_list_of_repo_equals_path(
    settings_env: pytest.MonkeyPatch,
) -> None:
    settings_env.setenv("COORD_AUTH_TOKEN", "secret")
    settings_env.setenv("COORD_REPO_ROOTS", " acme/shop=/srv/shop , acme/web=/srv/web,")
    assert load_settings().repo_roots == {
        "acme/shop": Path("/srv/shop"),
        "acme/web": Path("/srv/web"),
    }
    settings_env.setenv("COORD_REPO_ROOTS", "/srv/shop")
    with pytest.raises(SettingsError, match=r"COORD_REPO_ROOTS: .*owner/name=/path/to/checkout"):
        load_settings()
