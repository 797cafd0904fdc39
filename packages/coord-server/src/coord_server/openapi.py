"""The OpenAPI document, generated from the protocol models so it cannot drift from the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from coord_protocol import (
    CancelQueueResponse,
    CheckoutList,
    ClaimList,
    ConflictBatchRequest,
    ConflictCheckResponse,
    CreateClaimsRequest,
    CreateClaimsResponse,
    ErrorBody,
    ExtendClaimRequest,
    ExtendClaimResponse,
    Meta,
    OutboxPurgeRequest,
    OutboxPurgeResponse,
    OutboxRetryRequest,
    OutboxRetryResponse,
    OutboxStats,
    OutboxTail,
    QueueList,
    Readiness,
    RegisterCheckoutRequest,
    ReleaseClaimsRequest,
    ReleaseResponse,
    RepoList,
    ValidationErrorBody,
    WebhookPayload,
    WhoAmI,
)
from coord_protocol.adherence import AdherenceMetrics, AdherenceReport, AdherenceReportResponse
from coord_protocol.fences import FenceCheckRequest, FenceCheckResponse
from coord_protocol.ownership import (
    AutoResolutionSeries,
    HotspotList,
    OwnershipSummary,
    PromoteRequest,
    PromoteResponse,
)
from coord_protocol.requests import (
    CreateReleaseRequest,
    PendingRequests,
    ReleaseRequest,
    ReleaseRequestList,
    RequestEventList,
    RespondRequest,
)
from coord_protocol.tokens import CreateTokenRequest, RevokeTokenResponse, TokenCreated, TokenList

REF_PREFIX = "#/components/schemas/"
SERVICE = ("service",)
OUTBOX = ("outbox",)
TOKENS = ("tokens",)


@dataclass(frozen=True)
class Operation:
    """One route as the document describes it."""

    method: str
    path: str
    summary: str
    answers: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    query: tuple[str, ...] = ()
    public: bool = False
    tags: tuple[str, ...] = field(default=("claims",))


OPERATIONS = (
    Operation("GET", "/health", "Liveness: answers `ok`.", {200: None}, public=True, tags=SERVICE),
    Operation("GET", "/readyz", "Readiness: 503 while the database is unreachable.",
              {200: Readiness, 503: Readiness}, public=True, tags=SERVICE),
    Operation("GET", "/meta", "Version and configuration.", {200: Meta}, public=True, tags=SERVICE),
    Operation("GET", "/metrics", "Prometheus text exposition.", {200: None}, tags=SERVICE),
    Operation("GET", "/whoami", "The identity behind the token.", {200: WhoAmI}, tags=SERVICE),
    Operation("GET", "/repos", "Activity per repository.", {200: RepoList}, tags=SERVICE),
    Operation("POST", "/claims", "Claim patterns: 200 granted, 409 conflict, 400 invalid scope.",
              {200: CreateClaimsResponse, 409: CreateClaimsResponse}, body=CreateClaimsRequest),
    Operation("GET", "/claims", "List claims.", {200: ClaimList},
              query=("active_only", "engineer", "module", "repo", "all_repos", "session_id",
                     "limit")),
    Operation("POST", "/claims/release", "Release several claims.", {200: ReleaseResponse},
              body=ReleaseClaimsRequest),
    Operation("DELETE", "/claims/{claim_id}", "Release one claim.", {200: ReleaseResponse},
              query=("engineer",)),
    Operation("POST", "/claims/{claim_id}/extend", "Give a claim a new expiry.",
              {200: ExtendClaimResponse}, body=ExtendClaimRequest),
    Operation("GET", "/conflicts", "Would these patterns conflict?", {200: ConflictCheckResponse},
              query=("pattern", "engineer", "repo", "all_repos", "session_id", "symbols")),
    Operation("POST", "/conflicts/batch", "Conflict check for up to 5000 patterns.",
              {200: ConflictCheckResponse}, body=ConflictBatchRequest),
    Operation("POST", "/fences/check", "Fence check for up to 1000 changed paths: was each edited "
              "under a valid claim of the caller (read-only tokens may ask).",
              {200: FenceCheckResponse}, body=FenceCheckRequest, tags=("fences",)),
    Operation("POST", "/adherence/reports", "Record what a push, CI, reconcile or shell check "
              "saw of one engineer's work (read-only tokens may report).",
              {200: AdherenceReportResponse}, body=AdherenceReport, tags=("fences",)),
    Operation("GET", "/metrics/adherence", "Per repo and engineer: the share of pushed changes "
              "under a valid claim, of commits with trailers, and the undeclared edits found.",
              {200: AdherenceMetrics}, query=("days", "repo"), tags=("fences",)),
    Operation("POST", "/sessions/{session_id}/release", "Release a session's claims.",
              {200: ReleaseResponse}, query=("repo",), tags=("sessions",)),
    Operation("GET", "/requests", "Release requests, newest first; with `queued=true` the claim "
              "queue instead (a QueueList).", {200: ReleaseRequestList},
              query=("queued", "engineer", "requester", "holder", "state", "decision", "claim_id",
                     "repo", "session_id", "limit"), tags=("requests",)),
    Operation("POST", "/requests", "Ask a holder to release a claim (shortens it); long-polls "
              "with `wait_seconds`.", {201: ReleaseRequest}, body=CreateReleaseRequest,
              tags=("requests",)),
    Operation("GET", "/requests/{request_id}", "One release request; `wait_seconds` long-polls "
              "for its decision.", {200: ReleaseRequest}, query=("wait_seconds",),
              tags=("requests",)),
    Operation("GET", "/requests/{request_id}/events", "The request's audit timeline.",
              {200: RequestEventList}, tags=("requests",)),
    Operation("POST", "/requests/{request_id}/respond", "The holder's answer: approved, denied, "
              "narrowed or coexist.", {200: ReleaseRequest}, body=RespondRequest,
              tags=("requests",)),
    Operation("GET", "/sessions/{session_id}/pending_requests", "The holder's inbox.",
              {200: PendingRequests}, query=("since",), tags=("sessions",)),
    Operation("POST", "/config/ownership", "Upload owners.yaml as the raw YAML body (1 MiB at "
              "most; operator).", {200: OwnershipSummary}, tags=("ownership",)),
    Operation("GET", "/config/ownership", "owners.yaml in force, as YAML; 204 when none "
              "(operator).", {200: None, 204: None}, tags=("ownership",)),
    Operation("GET", "/metrics/hotspots", "Patterns by blocked claim attempts.", {200: HotspotList},
              query=("days", "repo", "limit"), tags=("ownership",)),
    Operation("POST", "/metrics/hotspots/promote", "Write a shared_files entry or a split "
              "suggestion into owners.yaml (operator).", {200: PromoteResponse},
              body=PromoteRequest, tags=("ownership",)),
    Operation("GET", "/metrics/auto-resolutions", "Daily auto-coexist / auto-narrow per repo.",
              {200: AutoResolutionSeries}, query=("days", "repo"), tags=("ownership",)),
    Operation("GET", "/openapi.json", "This document.", {200: None}, public=True, tags=SERVICE),
    Operation("POST", "/mcp", "MCP over streamable HTTP: the coord tools (stateless JSON).",
              {200: None}, tags=SERVICE),
    Operation("DELETE", "/requests/{request_id}", "Cancel a waiting queue entry (by queue id).",
              {200: CancelQueueResponse}, tags=("queue",)),
    Operation("GET", "/events", "Live events as `text/event-stream`; each `data:` is a "
              "WebhookPayload, each `id:` its event id (send it back as `Last-Event-ID`).",
              {200: None}, query=("repo", "engineer", "types", "last_event_id"),
              tags=("events",)),
    Operation("GET", "/admin/outbox/stats", "Webhook deliveries of the last 24 h (operator).",
              {200: OutboxStats}, tags=OUTBOX),
    Operation("GET", "/admin/outbox/tail", "Newest webhook deliveries (operator).",
              {200: OutboxTail}, query=("limit", "state"), tags=OUTBOX),
    Operation("POST", "/admin/outbox/retry", "Re-arm failed or exhausted deliveries (operator).",
              {200: OutboxRetryResponse}, body=OutboxRetryRequest, tags=OUTBOX),
    Operation("POST", "/admin/tokens", "Create an engineer token; its secret is shown once "
              "(operator).", {201: TokenCreated}, body=CreateTokenRequest, tags=TOKENS),
    Operation("GET", "/admin/tokens", "Every engineer token, without secrets (operator).",
              {200: TokenList}, tags=TOKENS),
    Operation("POST", "/admin/tokens/{token_id}/rotate", "A new secret for a token; the old one "
              "is refused at once (operator).", {200: TokenCreated}, tags=TOKENS),
    Operation("DELETE", "/admin/tokens/{token_id}", "Revoke a token (operator).",
              {200: RevokeTokenResponse}, tags=TOKENS),
    Operation("POST", "/admin/outbox/purge", "Delete old finished deliveries (operator).",
              {200: OutboxPurgeResponse}, body=OutboxPurgeRequest, tags=OUTBOX),
    Operation("GET", "/admin/checkouts", "The checkout read for each repository (operator).",
              {200: CheckoutList}, tags=SERVICE),
    Operation("PUT", "/admin/checkouts", "Register a repository's checkout (operator; a local "
              "SQLite service, from its own machine).", {200: CheckoutList},
              body=RegisterCheckoutRequest, tags=SERVICE),
)  # fmt: skip


@cache
def openapi_document(version: str) -> dict[str, Any]:
    """The whole document (built once per version)."""
    models: set[type[BaseModel]] = {ErrorBody, ValidationErrorBody, WebhookPayload, QueueList}
    for operation in OPERATIONS:
        models |= {model for model in operation.answers.values() if model is not None}
        if operation.body is not None:
            models.add(operation.body)
    ordered: list[type[BaseModel]] = sorted(models, key=lambda model: model.__name__)
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "serialization") for m in ordered]
    _, schemas = models_json_schema(modes, ref_template=REF_PREFIX + "{model}")
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "coord", "version": version,
                 "description": "Claims on files, globs, modules and symbols for agent teams."},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip


def _operation(operation: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {
        "summary": operation.summary,
        "tags": list(operation.tags),
        "responses": {str(status): _answer(model) for status, model in operation.answers.items()},
        "parameters": [_path_param(part) for part in _path_params(operation.path)]
        + [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
           for name in operation.query],
    }  # fmt: skip
    described["responses"]["422"] = _answer(ValidationErrorBody, "schema violation")
    if not operation.public:
        described["security"] = [{"bearer": []}]
        described["responses"]["401"] = _answer(ErrorBody, "missing or wrong token")
    if operation.body is not None:
        schema = {"$ref": REF_PREFIX + operation.body.__name__}
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
        described["responses"].setdefault("400", _answer(ErrorBody, "invalid input"))
    return described


def _answer(model: type[BaseModel] | None, description: str = "answer") -> dict[str, Any]:
    if model is None:
        return {"description": description, "content": {"text/plain": {}}}
    schema = {"$ref": REF_PREFIX + model.__name__}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
