"""What every tool returns: the service's answer, flat, with `ok`, `summary`, `next_step` and
`refusal` beside its fields.

An agent reads `ok`, `summary` and `next_step` first. The service's answer (a protocol model)
lies at the top level under the HTTP API's own field names (`claim_ids`, `conflicts`, `safe`,
`requests`, ...), so instructions written against the HTTP API read MCP results unchanged (SPEC
§10.1: results carry the HTTP response's fields at their top level). On a refusal `refusal` says
why, who is in the way, until when, and what to do; the answer's fields may still be there (a
409's `conflicts`, for instance).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny
from pydantic.json_schema import models_json_schema

from coord_protocol.claims import Claim
from coord_protocol.conflicts import Conflict
from coord_protocol.queue import QueueEntry
from coord_protocol.requests import ReleaseRequest


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


class Envelope(ResultModel):
    """The fields every coord tool result carries beside the service's own answer."""

    ok: bool
    """True when the call did what was asked; false means `refusal` says why."""
    summary: str
    """One line saying what happened."""
    next_step: str
    """What to do now, concretely (which tool, which arguments)."""
    refusal: Refusal | None = None
    """Set when `ok` is false."""


class ToolResult(Envelope):
    """What a tool handler returns: the envelope, and the service's answer to lay beside it."""

    payload: SerializeAsAny[BaseModel] | None = Field(default=None, exclude=True)
    """The service's answer (a coord protocol model), when there is one."""

    def structured(self) -> dict[str, Any]:
        """The result as agents read it: the answer's own fields at the top level, under the
        HTTP API's names, beside `ok`, `summary`, `next_step` and `refusal` (which win over an
        answer field of the same name: the tool's `next_step` is the more concrete one)."""
        envelope = self.model_dump(mode="json")
        if self.payload is None:
            return envelope
        answer = self.payload.model_dump(mode="json")
        return {
            **envelope,
            **{name: value for name, value in answer.items() if name not in envelope},
        }


class ExtendedClaims(ResultModel):
    """Answer of `extend_claims`: one extend call per claim."""

    claims: list[Claim] = Field(default_factory=list)
    """The claims extended, with their new `expires_at`."""
    failed: dict[str, str] = Field(default_factory=dict)
    """Claim id -> why it was not extended (not found, not yours, already expired)."""


class MyRequests(ResultModel):
    """Answer of `my_requests`."""

    queued: bool
    """True when `requests` lists waiting claim requests (the queue, as `GET /requests?queued=true`
    answers), false when it lists release requests (as `GET /requests` answers)."""
    requests: list[QueueEntry] | list[ReleaseRequest] = Field(default_factory=list)
    """Queue entries in service order (when `queued`), else release requests, newest first."""
    count: int = 0
    """Number of items listed."""
    total: int = 0
    """Number that match, listed or not (the service answers one page)."""
    next_cursor: str | None = None
    """Set when more match than are listed here."""


def output_schema(payload: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of `ToolResult.structured()` for a tool answering `payload`.

    The envelope's fields are always there; the answer's are there whenever the service
    answered (a refusal before any call, or of the call itself, carries the envelope alone).
    """
    refs, schemas = models_json_schema([(Envelope, "serialization"), (payload, "serialization")])
    definitions: dict[str, Any] = schemas["$defs"]
    envelope = definitions.pop(_name(refs[Envelope, "serialization"]))
    answer_name = _name(refs[payload, "serialization"])
    answer = definitions[answer_name]
    envelope_fields: dict[str, Any] = envelope["properties"]
    answer_fields = {
        name: field for name, field in answer["properties"].items() if name not in envelope_fields
    }
    schema: dict[str, Any] = {
        "type": "object",
        "title": f"{answer_name}Result",
        "description": answer.get("description", answer_name),
        "properties": {**envelope_fields, **answer_fields},
        "required": envelope["required"],
    }
    if f"#/$defs/{answer_name}" not in json.dumps([schema, definitions]):
        del definitions[answer_name]  # laid flat above, and referred to from nowhere else
    if definitions:
        schema["$defs"] = definitions
    return schema


def _name(reference: Mapping[str, Any]) -> str:
    ref: str = reference["$ref"]
    return ref.rpartition("/")[2]


def succeeded(summary: str, next_step: str, payload: BaseModel | None = None) -> ToolResult:
    """A result for a call that did what was asked."""
    return ToolResult(ok=True, summary=summary, next_step=next_step, payload=payload)


def refused(refusal: Refusal, next_step: str, payload: BaseModel | None = None) -> ToolResult:
    """A result for a call that was refused; the summary is the refusal's detail."""
    return ToolResult(
        ok=False, summary=refusal.detail, next_step=next_step, payload=payload, refusal=refusal
    )
