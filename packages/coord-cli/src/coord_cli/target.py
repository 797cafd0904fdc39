"""Which coord service a command talks to, with which token, for which repo.

The same order every coord client follows (SPEC §10.1): a real value in the environment wins,
then `.coordination/local.env` found walking up from the working directory. When neither names
a service, the one `coord start` launched (COORD_HOME) is used, with its token. That token is
only ever sent to that local service's URL, never to a URL configured elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from coord_cli._failures import describe_service_error
from coord_cli.home import CoordHome
from coord_protocol.client import ClientConfig, CoordClient
from coord_protocol.errors import CoordError
from coord_protocol.local_env import DEFAULT_API_URL, ResolvedEnv, resolve_local_env

NO_TOKEN = "no token"  # noqa: S105 - a label, not a secret
"""Token source shown when no token was found anywhere."""


@dataclass(frozen=True, slots=True)
class Target:
    """A coord service and the identity a command uses with it."""

    api_url: str
    """Base URL of the service."""
    token: str | None
    """Bearer token, or None when none is configured (nothing is sent)."""
    token_source: str
    """Where the token came from: `environment`, a file path, or `no token`."""
    repo_id: str | None
    """`COORD_REPO_ID` of this checkout, if any."""
    local_env: Path | None
    """The `.coordination/local.env` in effect, if any."""


def resolve_target(environ: Mapping[str, str], cwd: Path, home: CoordHome) -> Target:
    """The service, token and repo a command run in `cwd` with `environ` uses."""
    resolved = resolve_local_env(environ, cwd)
    local_url = _local_service_url(home)
    api_url = (resolved.real("COORD_API_URL") or local_url or DEFAULT_API_URL).rstrip("/")
    token, source = _token(resolved, home, api_url, local_url)
    return Target(api_url, token, source, resolved.real("COORD_REPO_ID"), resolved.local_env)


def current_target() -> Target:
    """`resolve_target` for this process."""
    return resolve_target(os.environ, Path.cwd(), CoordHome.from_env(os.environ))


@contextmanager
def service(target: Target) -> Iterator[CoordClient]:
    """A client for `target`; a service error leaves as a `CliError` naming the token source."""
    config = ClientConfig(base_url=target.api_url, token=target.token)
    try:
        with CoordClient(config) as client:
            yield client
    except CoordError as exc:
        raise describe_service_error(exc, target.token_source) from exc


def _local_service_url(home: CoordHome) -> str | None:
    record = home.read_server()
    return record.api_url.rstrip("/") if record is not None else None


def _token(
    resolved: ResolvedEnv, home: CoordHome, api_url: str, local_url: str | None
) -> tuple[str | None, str]:
    token = resolved.real("COORD_AUTH_TOKEN")
    if token:
        return token, resolved.sources.get("COORD_AUTH_TOKEN", "environment")
    if api_url in {local_url, DEFAULT_API_URL}:
        home_token = home.read_token()
        if home_token:
            return home_token, str(home.token_file)
    return None, NO_TOKEN
