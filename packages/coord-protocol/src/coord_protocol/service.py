"""Service-level answers: readiness, metadata, identity, repos, errors, webhook payloads."""

from typing import Any, Literal

from pydantic import Field

from coord_protocol._base import UtcDatetime, WireModel
from coord_protocol.vocab import EventType

AuthMode = Literal["token", "insecure-no-auth"]
"""`token` when a bearer token is required; `insecure-no-auth` in explicit demo mode."""


class ErrorBody(WireModel):
    """Every error answer carries at least these two keys."""

    detail: str
    """What went wrong and what to do next, for a person or an agent."""
    code: str
    """Machine-readable reason, one of the protocol's error codes."""


class ValidationIssue(WireModel):
    """One schema violation of a request."""

    loc: list[str | int]
    """Where: `body`, `query` or `path`, then the field path."""
    msg: str
    """What is wrong with it."""
    type: str
    """Kind of violation."""


class ValidationErrorBody(ErrorBody):
    """A 422 answer: the request does not fit the schema."""

    errors: list[ValidationIssue]
    """Every violation, with its location."""


class Readiness(WireModel):
    """Answer of `GET /readyz`."""

    status: Literal["ready", "unavailable"]
    """`ready` when the database answers."""
    version: str
    """Server version."""
    auth_mode: AuthMode
    """How the API authenticates."""


class Meta(WireModel):
    """Answer of `GET /meta`."""

    name: str = "coord"
    """Service name."""
    version: str
    """Server version."""
    auth_mode: AuthMode
    """How the API authenticates."""
    database: str
    """Storage backend: `sqlite` or `postgresql`."""
    repo_root_configured: bool
    """Whether the server reads a checkout for overlap lists and scope limits."""
    default_ttl_hours: float
    """TTL applied when a claim names none."""
    shared_ttl_hours: float
    """TTL of shared claims."""
    idle_timeout_sec: int
    """Silence after which a session's claims expire (0 = never)."""
    replica: str = ""
    """Id of the replica that answered (a new one at every start)."""
    leader: bool = True
    """Whether that replica runs the background work (expiry, webhooks, retention) right now."""


class WhoAmI(WireModel):
    """Answer of `GET /whoami`."""

    principal: Literal["operator", "engineer", "anonymous"]
    """`operator` for the operator token, `engineer` for a per-engineer token."""
    engineer: str | None = None
    """The engineer a per-engineer token is bound to."""
    repo: str | None = None
    """The repo a repo-scoped token is bound to."""
    read_only: bool = False
    """Whether the token can only read."""
    expires_at: UtcDatetime | None = None
    """When the token stops working (None: until revoked)."""
    token_id: str | None = None
    """The id of the engineer token (what `coord tokens rotate|revoke` take)."""
    auth_mode: AuthMode
    """How the API authenticates."""


class RepoActivity(WireModel):
    """Activity of one repository bucket."""

    repo: str | None
    """Repository id, or null for the no-repo bucket."""
    active_claims: int
    """Claims holding now."""
    engineers: int
    """Different engineers holding claims now."""
    queue_depth: int
    """Waiting queue entries."""
    last_activity: UtcDatetime | None = None
    """Newest claim grant or release."""


class RepoList(WireModel):
    """Answer of `GET /repos`."""

    repos: list[RepoActivity]
    """Busiest first."""
    count: int
    """Number listed."""


class WebhookPayload(WireModel):
    """Body POSTed to the webhook receiver and sent on the live event stream."""

    event_type: EventType
    """What happened."""
    timestamp: UtcDatetime
    """When."""
    detail: dict[str, Any] = Field(default_factory=dict)
    """Facts of the event (claim ids, engineers, patterns, ...)."""
