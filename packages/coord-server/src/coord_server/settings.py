"""Every server setting, read once from `COORD_*` environment variables into one object.

An invalid value stops the start with a message naming the variable (SPEC §15).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from coord_protocol._base import REPO_ID_PATTERN

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
PositiveSeconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


_REPO_ID = re.compile(REPO_ID_PATTERN)

CLIENT_VARIABLES = frozenset({
    "COORD_API_URL", "COORD_SERVICE_URL", "COORD_TOKEN", "COORD_REPO_ID", "COORD_SESSION_ID",
    "COORD_BRANCH", "COORD_USER", "COORD_DISABLE_CLIENT_VALIDATION", "COORD_PREPUSH_MODE",
    "COORD_HOME", "COORD_START_READY_TIMEOUT_SEC", "COORD_NO_UPDATE_CHECK", "COORD_DEBUG",
    "COORD_HOOK_DEBUG", "COORD_MCP_LOG_LEVEL",
})  # fmt: skip
"""Variables of the clients (`coord`, `coord-mcp`, `coord-hook`): a shell that starts the
service often holds them too, so they are not reported as unknown."""

_IGNORED_PREFIXES = ("COORD_TEST_", "COORD_BENCH_")  # the test suite's and benchmarks' own


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable and the fix."""


class Settings(BaseSettings):
    """Configuration of one coord-server process; names are the variables without `COORD_`."""

    model_config = SettingsConfigDict(
        env_prefix="COORD_", extra="ignore", frozen=True, use_attribute_docstrings=True
    )

    # Network and logging.
    host: str | None = None
    """Bind address; unset, every interface (a container must listen on all), or 127.0.0.1 only
    when running without authentication."""
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    """Bind port (0 picks a free one)."""
    log_level: LogLevel = "info"
    """Log level of the server and its access log."""
    log_json: bool = False
    """Emit logs as JSON lines."""
    limit_concurrency: Annotated[int, Field(ge=1)] = 1000
    """Connections (and requests in progress) served at once; past it a request gets a JSON 503."""

    # Auth.
    auth_token: str | None = None
    """Operator bearer token."""
    allow_insecure_no_auth: bool = False
    """Explicit opt-in to run without any token (local demos only)."""
    metrics_auth: bool = False
    """Require the bearer token on `/metrics`."""
    dashboard_session_hours: Annotated[float, Field(gt=0, le=720, allow_inf_nan=False)] = 12
    """A dashboard login lasts this long; then the browser is asked for a token again."""

    # Storage.
    database_path: Path = Path("./data/coordination.db")
    """SQLite file; its directory is created."""
    database_url: str | None = None
    """SQLAlchemy URL; `postgresql://...` selects PostgreSQL instead of the SQLite file."""
    disable_instance_lock: bool = False
    """Skip the advisory lock that refuses a second process on one SQLite file."""
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """Audit rows older than this are purged."""
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    """PostgreSQL connections each replica keeps open (as many more may open under load)."""

    # Claims.
    default_ttl_hours: Annotated[float, Field(gt=0, le=168, allow_inf_nan=False)] = 4.0
    """TTL of a claim that names none."""
    shared_ttl_hours: Annotated[float, Field(gt=0, le=168, allow_inf_nan=False)] = 2.0
    """TTL of shared claims."""
    idle_timeout_sec: PositiveSeconds = 1800
    """Silence after which a session's claims expire; 0 disables idle expiry."""
    request_ttl_short_sec: PositiveSeconds = 300
    """A holder's TTL is clamped to this when a release request is filed."""
    cleanup_interval_sec: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 900
    """Safety sweep of expired rows; expiry itself is scheduled to the instant."""
    disable_background_cleanup: bool = False
    """Do not run the expiry scheduler (tests or external schedulers)."""

    # Repository awareness.
    repo_root: Path | None = None
    """Default checkout (overlap file lists, scope limits, symbol validation): serves claims
    without a repo and repos that have no checkout of their own."""
    repo_roots: Annotated[dict[str, Path], NoDecode] = Field(default_factory=dict)
    """Checkout per repository, `repo=path,repo=path`; wins over a registered one."""
    repo_scope: str | None = None
    """Restrict the checkout view to this subdirectory."""
    max_claim_files: Annotated[int, Field(ge=1)] = 100
    """Most tracked files one pattern may cover."""
    max_claim_ratio: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.2
    """Largest fraction of the repo one pattern (or one batch) may cover."""
    ls_files_cache_ttl_sec: PositiveSeconds = 10
    """How long a `git ls-files` listing is reused."""

    # Queue.
    queue_age_boost_seconds: PositiveSeconds = 60
    """A waiter is served one urgency level higher after this long; 0 disables."""
    queue_priority_decay_sec: PositiveSeconds = 0
    """A waiter drops one level per this many seconds (floor `low`); 0 disables."""
    queue_fairness_interval: Annotated[int, Field(ge=0)] = 0
    """Every N-th grant of a scope goes to its oldest waiter; 0 disables."""
    max_queue_per_engineer: Annotated[int, Field(ge=1)] = 20
    """Claim requests one engineer may have waiting at once (across repos); more get 429."""
    max_queue_total: Annotated[int, Field(ge=1)] = 1000
    """Claim requests that may wait at once in the whole service; more get 429."""

    # Long-lived requests, per replica.
    max_event_streams: Annotated[int, Field(ge=1)] = 200
    """`GET /events` streams open at once; more get 429."""
    max_long_polls: Annotated[int, Field(ge=1)] = 500
    """Release-request long-polls (`wait_seconds`) open at once; more get 429."""
    max_mcp_body_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    """Largest `/mcp` request body, like every other route's 1 MiB; larger ones get 413."""
    mcp_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    """Comma-separated `Host` names `/mcp` answers besides the loopback ones and `COORD_HOST`
    (DNS-rebinding protection): the public name clients reach the service by. `*` allows any."""

    # Hotspots and promotion.
    auto_promote_threshold: Annotated[int, Field(ge=0)] = 0
    """Blocked attempts that promote a file to shared_files; 0 disables."""
    auto_promote_window_days: Annotated[int, Field(ge=1)] = 7
    """Window counted by auto-promote."""
    auto_promote_subtree_min_files: Annotated[int, Field(ge=0)] = 3
    """Promoted files under one directory that collapse into `dir/**`; 0 disables."""
    auto_demote_interval_sec: PositiveSeconds = 3600
    """Cadence of the auto-demote sweep; 0 disables."""
    auto_demote_window_days: Annotated[int, Field(ge=1)] = 14
    """Quiet days after which an auto-promoted entry is removed."""

    # Adherence (SPEC §16).
    adherence_alert: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0
    """Covered share (0-1) under which a repo's pushed changes fire `adherence_low`, once per
    fall (over the last 7 days); 0 disables."""

    # Webhooks.
    webhook_url: str | None = None
    """Receiver of every event; unset disables delivery."""
    webhook_secret: str | None = None
    """HMAC-SHA256 key for `X-Coord-Signature`."""
    webhook_events: Annotated[frozenset[str], NoDecode] = frozenset()
    """Comma-separated allowlist of event types; empty means all."""
    webhook_max_retries: Annotated[int, Field(ge=0, le=100)] = 5
    """Attempts before a delivery is marked exhausted."""
    webhook_retry_backoff_sec: PositiveSeconds = 60
    """Base of the exponential backoff between attempts."""
    webhook_delivery_interval_sec: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 5
    """How often the delivery loop looks for due rows."""

    @field_validator("webhook_events", mode="before")
    @classmethod
    def _split_events(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("mcp_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("repo_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        roots: dict[str, str] = {}
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            repo, equals, path = (side.strip() for side in entry.partition("="))
            if not equals or not path or _REPO_ID.fullmatch(repo) is None:
                raise ValueError(
                    f"entry {entry!r} is not `owner/name=/path/to/checkout`; separate entries "
                    "with commas"
                )
            roots[repo] = path
        return roots

    @field_validator(
        "auth_token", "database_url", "webhook_url", "repo_scope", "host", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL of the webhook receiver")
        return value

    @model_validator(mode="after")
    def _auth_is_explicit(self) -> Settings:
        if not self.auth_token and not self.allow_insecure_no_auth:
            raise ValueError(
                "COORD_AUTH_TOKEN is not set. Set it to a long random secret, or set "
                "COORD_ALLOW_INSECURE_NO_AUTH=true to run without authentication "
                "(local demos only)."
            )
        return self

    @property
    def bind_host(self) -> str:
        """Where to listen: `host` when set; without it, loopback only in insecure mode (an
        unauthenticated service must not be reachable from the network by accident)."""
        if self.host:
            return self.host
        return "127.0.0.1" if self.auth_mode == "insecure-no-auth" else "0.0.0.0"  # noqa: S104

    @property
    def auth_mode(self) -> Literal["token", "insecure-no-auth"]:
        """How the API authenticates."""
        return "token" if self.auth_token else "insecure-no-auth"

    @property
    def database_backend(self) -> str:
        """`postgresql` or `sqlite`."""
        url = self.database_url or ""
        return "postgresql" if url.startswith("postgresql") else "sqlite"


def load_settings(**overrides: object) -> Settings:
    """Read the environment (plus `overrides`); a bad value raises `SettingsError` naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def insecure_warnings(settings: Settings) -> list[str]:
    """What to say at start when the service runs without authentication."""
    if settings.auth_mode != "insecure-no-auth":
        return []
    where = (
        f"COORD_HOST={settings.host} makes it reachable from there"
        if settings.host
        else "it listens on 127.0.0.1 only (set COORD_HOST to change that)"
    )
    return [
        "running WITHOUT authentication (COORD_ALLOW_INSECURE_NO_AUTH): every caller acts as "
        f"the operator; {where}. Set COORD_AUTH_TOKEN for anything but a local demo."
    ]


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A warning per `COORD_*` variable in `environ` that no part of coord reads.

    A misspelt setting (`COORD_DEFAULT_TTL_HOUR`) would otherwise be ignored without a word;
    each warning names the closest known variable.
    """
    settings = {"COORD_" + name.upper() for name in Settings.model_fields}
    known = settings | CLIENT_VARIABLES
    warnings = []
    for name in sorted(environ):
        if not name.startswith("COORD_") or name in known or name.startswith(_IGNORED_PREFIXES):
            continue
        # Compared without the shared `COORD_` prefix, which would make any name look close.
        suffixes = sorted(known_name.removeprefix("COORD_") for known_name in settings)
        closest = difflib.get_close_matches(name.removeprefix("COORD_"), suffixes, n=1, cutoff=0.7)
        hint = f"; did you mean COORD_{closest[0]}?" if closest else "; see docs/configuration.md"
        warnings.append(f"{name} is not a coord setting and is ignored{hint}")
    return warnings


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        if not error["loc"]:
            lines.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        variable = "COORD_" + str(error["loc"][0]).upper()
        got = error.get("input")
        lines.append(f"{variable}: {error['msg']} (got {got!r})")
    return "invalid configuration:\n  " + "\n  ".join(lines)
