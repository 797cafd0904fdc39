"""What every tool returns: one envelope around the protocol models, refusals included.

An agent reads `ok`, `summary` and `next_step` first. On success `result` holds the service's
answer (a protocol model); on a refusal `refusal` says why, who is in the way, until when, and
what to do, and `result` may still carry the full answer (a 409's conflicts, for instance).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from coord_protocol.claims import Claim
from coord_protocol.conflicts import Conflict
from coord_protocol.queue import QueueEntry
from coord_protocol.requests import ReleaseRequest

PayloadT = TypeVar("PayloadT")


class ResultModel(BaseModel):
    """Models of tool results: documented by attribute docstrings, shown in the output schema."""

    model_config = ConfigDict(use_attribute_docstrings=True)


class Refusal(ResultModel):
    """Why a call did not do what was asked, and the facts needed to act on it."""

    code: str
    """Machine-readable reason: a coord error code (`conflict`, `invalid_symbol`,
    `unauthorized`, `forbidden`, `not_found`, `rate_limited`, `unavailable`, ...), or
    `queue_timeout`, `unsupported` (the service lacks the feature) or `invalid_arguments`."""
    detail: str
    """What happened, in the service's words where it gave some."""
    http_status: int | None = None
    """HTTP status of the service's answer, when there was one."""
    blockers: list[Conflict] = Field(default_factory=list)
    """The held claims in the way, each with its holder (`engineer`), `expires_at` and id."""
    known_symbols: dict[str, list[str]] = Field(default_factory=dict)
    """For unknown symbols: per file, the symbols it does declare (closest first)."""
    config_file: str | None = None
    """The configuration file to fix, when configuration is at fault."""
    retry_after_seconds: float | None = None
    """How long to wait before calling again (rate limiting)."""


class ToolResult(ResultModel, Generic[PayloadT]):
    """The envelope every coord tool returns."""

    ok: bool
    """True when the call did what was asked; false means `refusal` says why."""
    summary: str
    """One line saying what happened."""
    next_step: str
    """What to do now, concretely (which tool, which arguments)."""
    result: PayloadT | None = None
    """The service's answer (a coord protocol model), when there is one."""
    refusal: Refusal | None = None
    """Set when `ok` is false."""


class ExtendedClaims(ResultModel):
    """Answer of `extend_claims`: one extend call per claim."""

    claims: list[Claim] = Field(default_factory=list)
    """The claims extended, with their new `expires_at`."""
    failed: dict[str, str] = Field(default_factory=dict)
    """Claim id -> why it was not extended (not found, not yours, already expired)."""


class MyRequests(ResultModel):
    """Answer of `my_requests`."""

    queued: bool
    """True when this lists waiting claim requests (the queue), false for release requests."""
    queue_entries: list[QueueEntry] = Field(default_factory=list)
    """Waiting claim requests, in service order (when `queued`)."""
    release_requests: list[ReleaseRequest] = Field(default_factory=list)
    """Release requests (when not `queued`), newest first."""
    count: int = 0
    """Number of items listed."""


def result_model(payload: type[BaseModel]) -> type[ToolResult[Any]]:
    """The envelope whose `result` is `payload`: its JSON schema is a tool's output schema."""
    model: type[ToolResult[Any]] = ToolResult[payload]  # type: ignore[valid-type]
    return model


def succeeded(summary: str, next_step: str, result: Any = None) -> ToolResult[Any]:
    """A result for a call that did what was asked."""
    return ToolResult[Any](ok=True, summary=summary, next_step=next_step, result=result)


def refused(refusal: Refusal, next_step: str, result: Any = None) -> ToolResult[Any]:
    """A result for a call that was refused; the summary is the refusal's detail."""
    return ToolResult[Any](
        ok=False, summary=refusal.detail, next_step=next_step, result=result, refusal=refusal
    )
