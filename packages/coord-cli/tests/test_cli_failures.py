"""What the CLI says after a refused token: where it came from, and where the valid one is."""

from __future__ import annotations

from pathlib import Path

import pytest

from coord_cli._failures import describe_service_error, unauthorized_fix
from coord_protocol.errors import CoordError, ErrorCode


def test_a_refused_exported_token_points_at_the_token_file_and_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COORD_HOME", str(tmp_path))
    fix = unauthorized_fix("environment")
    assert fix.startswith("the token came from environment; ")
    assert f"the local service's token is in {tmp_path / 'token'}" in fix
    assert fix.endswith("`unset COORD_AUTH_TOKEN` to fall back to the local token file")


def test_a_refused_file_token_names_the_file_and_the_valid_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COORD_HOME", str(tmp_path))
    error = CoordError(ErrorCode.UNAUTHORIZED, "invalid token")
    refused = describe_service_error(error, "/app/.coordination/local.env")
    assert refused.fix is not None
    assert "came from /app/.coordination/local.env" in refused.fix
    assert str(tmp_path / "token") in refused.fix and "unset" not in refused.fix
    assert "no token was sent" in str(describe_service_error(error).fix)
