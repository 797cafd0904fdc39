"""The OpenAPI document, generated from the models and tables the code itself uses.

Bodies and answers are the protocol models; query parameters are the routes' own query models;
every error status comes from `coord_protocol.errors.HTTP_STATUS` through the codes a route can
raise, plus the ones every request can meet on its way in (the auth gate, the query-text guard,
the body reader, the concurrency cap). Nothing is restated, so the document cannot drift from
what the service answers (a test runs schemathesis against a real server to hold it to that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
from coord_protocol._base import SESSION_ID_PATTERN
from coord_protocol.adherence import AdherenceMetrics, AdherenceReport, AdherenceReportResponse
from coord_protocol.dashboard import LOGIN_LINKS_PATH, DashboardLoginLink
from coord_protocol.errors import HTTP_STATUS, ErrorCode
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
from coord_protocol.text import FREE_TEXT_FIELDS, SAFE_TEXT_PATTERN
from coord_protocol.tokens import CreateTokenRequest, RevokeTokenResponse, TokenCreated, TokenList
from coord_server.auth.gate import QUESTIONS, READING_METHODS, YAML_TYPES
from coord_server.routes.adherence import AdherenceQuery
from coord_server.routes.admin import TailQuery
from coord_server.routes.claims import ListQuery
from coord_server.routes.hotspots import HotspotQuery, WindowQuery
from coord_server.routes.requests import RequestQuery, WaitQuery
from coord_server.routes.sessions import InboxQuery
from coord_server.service.idempotency import MAX_KEY_LENGTH

REF_PREFIX = "#/components/schemas/"
SERVICE = ("service",)
OUTBOX = ("outbox",)
TOKENS = ("tokens",)
JSON = "application/json"
YAML = "application/yaml"
TEXT = "text/plain"
EVENT_STREAM = "text/event-stream"
HTML = "text/html"
DASHBOARD_FORM = (ErrorCode.UNAUTHORIZED, ErrorCode.FORBIDDEN, ErrorCode.BAD_REQUEST,
                  ErrorCode.NOT_FOUND)  # fmt: skip
"""What an operator form of the dashboard can refuse: no session, not the operator or no CSRF
token, a form that is not one, a row that is gone."""

Content = type[BaseModel] | tuple[type[BaseModel], ...] | str | None
"""What an answer carries: a model (JSON), any of several models (JSON), a media type whose
body has no schema (several joined by `|`), or nothing (None)."""

NOT_FOUND = (ErrorCode.NOT_FOUND,)
FORBIDDEN = (ErrorCode.FORBIDDEN,)
PATTERNS = (ErrorCode.INVALID_PATTERN, ErrorCode.PATTERN_TOO_COMPLEX, ErrorCode.INVALID_SYMBOL,
            ErrorCode.RATE_LIMITED, ErrorCode.FORBIDDEN)  # fmt: skip
"""What checking patterns can refuse: the pattern rules, symbol scopes, the work-rate cap."""


@dataclass(frozen=True)
class Link:
    """A later call that takes a value from this answer (an OpenAPI link: generated clients and
    stateful testers follow it from a created claim to its release, say)."""

    status: int
    method: str
    path: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    """Parameter of the later call -> where its value is, as a runtime expression."""
    body: Mapping[str, str] = field(default_factory=dict)
    """Body field of the later call -> where its value is."""


CLAIM_ID = "$response.body#/claim_ids/0"
CREATED_ID = "$response.body#/id"
DASHBOARD = ("dashboard",)


@dataclass(frozen=True)
class Operation:
    """One route as the document describes it.

    `answers` are the route's own outcomes; the error statuses are added from `errors` (the
    codes the route itself raises) and from what every request of this shape can meet.
    """

    method: str
    path: str
    summary: str
    answers: Mapping[int, Content]
    body: type[BaseModel] | None = None
    query: tuple[str, ...] = ()
    """Query parameters read as plain strings (the query text guard still applies)."""
    params: type[BaseModel] | None = None
    """The route's query model: each field is a query parameter, with its constraints."""
    renamed: Mapping[str, str] = field(default_factory=dict)
    """Query model field -> the query parameter it is read from (`patterns` <- `pattern`)."""
    flags: tuple[str, ...] = ()
    """Boolean query parameters (`query_flag`)."""
    errors: tuple[ErrorCode, ...] = ()
    public: bool = False
    idempotent: bool = False
    """Takes an `Idempotency-Key` header."""
    raw_body: tuple[str, ...] = ()
    """Media types of a body that is not a JSON model (owners.yaml, an MCP message)."""
    tags: tuple[str, ...] = ("claims",)
    links: tuple[Link, ...] = ()


OPERATIONS = (
    Operation("GET", "/health", "Liveness: answers `ok`.", {200: TEXT}, public=True, tags=SERVICE),
    Operation("GET", "/readyz", "Readiness: 503 while the database is unreachable.",
              {200: Readiness, 503: Readiness}, public=True, tags=SERVICE),
    Operation("GET", "/meta", "Version and configuration.", {200: Meta}, public=True, tags=SERVICE),
    Operation("GET", "/metrics", "Prometheus text exposition.", {200: TEXT}, tags=SERVICE),
    Operation("GET", "/whoami", "The identity behind the token.", {200: WhoAmI}, tags=SERVICE),
    Operation("GET", "/repos", "Activity per repository.", {200: RepoList}, tags=SERVICE),
    Operation("POST", "/claims", "Claim patterns: 200 granted, 409 conflict, 400 invalid scope. "
              "The operator token must name `engineer` (422 otherwise).",
              {200: CreateClaimsResponse, 409: CreateClaimsResponse}, body=CreateClaimsRequest,
              errors=(*PATTERNS, ErrorCode.SCOPE_TOO_BROAD), idempotent=True,
              links=(Link(200, "DELETE", "/claims/{claim_id}", {"claim_id": CLAIM_ID}),
                     Link(200, "POST", "/claims/{claim_id}/extend", {"claim_id": CLAIM_ID}),
                     Link(200, "POST", "/requests", body={"claim_id": CLAIM_ID}))),
    Operation("GET", "/claims", "List claims, newest first, a page at a time.", {200: ClaimList},
              params=ListQuery, flags=("active_only", "all_repos"), errors=FORBIDDEN),
    Operation("POST", "/claims/release", "Release several claims.", {200: ReleaseResponse},
              body=ReleaseClaimsRequest, errors=NOT_FOUND, idempotent=True),
    Operation("DELETE", "/claims/{claim_id}", "Release one claim.", {200: ReleaseResponse},
              query=("engineer",)),
    Operation("POST", "/claims/{claim_id}/extend", "Give a claim a new expiry.",
              {200: ExtendClaimResponse}, body=ExtendClaimRequest, errors=(ErrorCode.CONFLICT,)),
    Operation("GET", "/conflicts", "Would these patterns conflict? The operator token must name "
              "`engineer` (422 otherwise).", {200: ConflictCheckResponse},
              params=ConflictBatchRequest, renamed={"patterns": "pattern",
              "session_ids": "session_id"}, errors=PATTERNS),
    Operation("POST", "/conflicts/batch", "Conflict check for up to 5000 patterns.",
              {200: ConflictCheckResponse}, body=ConflictBatchRequest, errors=PATTERNS),
    Operation("POST", "/fences/check", "Fence check for up to 1000 changed paths: was each edited "
              "under a valid claim of the caller (read-only tokens may ask).",
              {200: FenceCheckResponse}, body=FenceCheckRequest,
              errors=(ErrorCode.FORBIDDEN, ErrorCode.INVALID_PATTERN,
              ErrorCode.PATTERN_TOO_COMPLEX), tags=("fences",)),
    Operation("POST", "/adherence/reports", "Record what a push, CI, reconcile or shell check "
              "saw of one engineer's work (read-only tokens may report).",
              {200: AdherenceReportResponse}, body=AdherenceReport, errors=FORBIDDEN,
              tags=("fences",)),
    Operation("GET", "/metrics/adherence", "Per repo and engineer: the share of pushed changes "
              "under a valid claim, of commits with trailers, and the undeclared edits found.",
              {200: AdherenceMetrics}, params=AdherenceQuery, errors=FORBIDDEN,
              tags=("fences",)),
    Operation("POST", "/sessions/{session_id}/release", "Release a session's claims.",
              {200: ReleaseResponse}, query=("repo",), errors=(ErrorCode.INVALID_SESSION,),
              tags=("sessions",)),
    Operation("GET", "/requests", "Release requests, newest first; with `queued=true` the claim "
              "queue instead (a QueueList).", {200: (ReleaseRequestList, QueueList)},
              params=RequestQuery, flags=("queued",), errors=FORBIDDEN, tags=("requests",)),
    Operation("POST", "/requests", "Ask a holder to release a claim (shortens it); long-polls "
              "with `wait_seconds`. The operator token must name `requester`.",
              {201: ReleaseRequest}, body=CreateReleaseRequest, idempotent=True,
              errors=(ErrorCode.NOT_FOUND, ErrorCode.INVALID_PATTERN, ErrorCode.RATE_LIMITED),
              tags=("requests",),
              links=tuple(Link(201, method, path, {"request_id": CREATED_ID}) for method, path in
                          (("GET", "/requests/{request_id}"),
                           ("GET", "/requests/{request_id}/events"),
                           ("POST", "/requests/{request_id}/respond")))),
    Operation("GET", "/requests/{request_id}", "One release request; `wait_seconds` long-polls "
              "for its decision.", {200: ReleaseRequest}, params=WaitQuery,
              errors=(*FORBIDDEN, ErrorCode.RATE_LIMITED), tags=("requests",)),
    Operation("GET", "/requests/{request_id}/events", "The request's audit timeline.",
              {200: RequestEventList}, errors=FORBIDDEN, tags=("requests",)),
    Operation("POST", "/requests/{request_id}/respond", "The holder's answer: approved, denied, "
              "narrowed or coexist.", {200: ReleaseRequest}, body=RespondRequest,
              errors=(ErrorCode.ALREADY_DECIDED, ErrorCode.INVALID_PATTERN,
              ErrorCode.RATE_LIMITED), tags=("requests",)),
    Operation("GET", "/sessions/{session_id}/pending_requests", "The holder's inbox.",
              {200: PendingRequests}, params=InboxQuery,
              errors=(ErrorCode.INVALID_SESSION, *FORBIDDEN), tags=("sessions",)),
    Operation("POST", "/config/ownership", "Upload owners.yaml as the raw YAML body (1 MiB at "
              "most; operator).", {200: OwnershipSummary}, raw_body=tuple(sorted(YAML_TYPES)),
              errors=(ErrorCode.INVALID_OWNERSHIP, ErrorCode.INVALID_PATTERN,
              ErrorCode.PAYLOAD_TOO_LARGE), tags=("ownership",)),
    Operation("GET", "/config/ownership", "owners.yaml in force, as YAML; 204 when none "
              "(operator).", {200: YAML, 204: None}, errors=FORBIDDEN, tags=("ownership",)),
    Operation("GET", "/metrics/hotspots", "Patterns by blocked claim attempts.", {200: HotspotList},
              params=HotspotQuery, errors=FORBIDDEN, tags=("ownership",)),
    Operation("POST", "/metrics/hotspots/promote", "Write a shared_files entry or a split "
              "suggestion into owners.yaml (operator).", {200: PromoteResponse},
              body=PromoteRequest, errors=(ErrorCode.INVALID_PATTERN,
              ErrorCode.INVALID_OWNERSHIP), tags=("ownership",)),
    Operation("GET", "/metrics/auto-resolutions", "Daily auto-coexist / auto-narrow per repo.",
              {200: AutoResolutionSeries}, params=WindowQuery, errors=FORBIDDEN,
              tags=("ownership",)),
    Operation("GET", "/openapi.json", "This document.", {200: JSON}, public=True, tags=SERVICE),
    Operation("POST", "/mcp", "MCP over streamable HTTP: the coord tools (stateless JSON). The "
              "body is one JSON-RPC message; 202 answers a notification, and the MCP transport's "
              "own refusals (400, 404, 406) carry a JSON-RPC error.",
              {200: JSON, 202: None, 400: JSON, 404: JSON, 406: JSON}, raw_body=(JSON,),
              errors=(ErrorCode.PAYLOAD_TOO_LARGE,), tags=SERVICE),
    Operation("DELETE", "/requests/{request_id}", "Cancel a waiting queue entry (by queue id).",
              {200: CancelQueueResponse}, query=("engineer",), tags=("queue",)),
    Operation("GET", "/events", "Live events as `text/event-stream`; each `data:` is a "
              "WebhookPayload, each `id:` its event id (send it back as `Last-Event-ID`).",
              {200: EVENT_STREAM}, query=("repo", "engineer", "types", "last_event_id"),
              errors=(*FORBIDDEN, ErrorCode.RATE_LIMITED, ErrorCode.VALIDATION_ERROR),
              tags=("events",)),
    Operation("GET", "/admin/outbox/stats", "Webhook deliveries of the last 24 h (operator).",
              {200: OutboxStats}, errors=FORBIDDEN, tags=OUTBOX),
    Operation("GET", "/admin/outbox/tail", "Newest webhook deliveries (operator).",
              {200: OutboxTail}, params=TailQuery, errors=FORBIDDEN, tags=OUTBOX),
    Operation("POST", "/admin/outbox/retry", "Re-arm failed or exhausted deliveries (operator).",
              {200: OutboxRetryResponse}, body=OutboxRetryRequest, tags=OUTBOX),
    Operation("POST", "/admin/tokens", "Create an engineer token; its secret is shown once "
              "(operator).", {201: TokenCreated}, body=CreateTokenRequest, tags=TOKENS,
              links=(Link(201, "POST", "/admin/tokens/{token_id}/rotate",
                          {"token_id": CREATED_ID}),
                     Link(201, "DELETE", "/admin/tokens/{token_id}", {"token_id": CREATED_ID}))),
    Operation("GET", "/admin/tokens", "Every engineer token, without secrets (operator).",
              {200: TokenList}, errors=FORBIDDEN, tags=TOKENS),
    Operation("POST", "/admin/tokens/{token_id}/rotate", "A new secret for a token; the old one "
              "is refused at once (operator).", {200: TokenCreated},
              errors=(ErrorCode.CONFLICT,), tags=TOKENS),
    Operation("DELETE", "/admin/tokens/{token_id}", "Revoke a token (operator).",
              {200: RevokeTokenResponse}, tags=TOKENS),
    Operation("POST", "/admin/outbox/purge", "Delete old finished deliveries (operator).",
              {200: OutboxPurgeResponse}, body=OutboxPurgeRequest, tags=OUTBOX),
    Operation("GET", "/admin/checkouts", "The checkout read for each repository (operator).",
              {200: CheckoutList}, errors=FORBIDDEN, tags=SERVICE),
    Operation("PUT", "/admin/checkouts", "Register a repository's checkout (operator; a local "
              "SQLite service, from its own machine).", {200: CheckoutList},
              body=RegisterCheckoutRequest, tags=SERVICE),
    # The dashboard's pages and forms are HTML for browsers; they sign in with a session.
    Operation("GET", "/dashboard", "The dashboard page (HTML); the login form when not signed in.",
              {200: HTML}, query=("repo", "engineer", "page"), public=True,
              errors=(ErrorCode.VALIDATION_ERROR, ErrorCode.UNAUTHORIZED), tags=DASHBOARD),
    Operation("POST", "/dashboard/login", "Sign a browser in with a token (form).",
              {303: None, 401: HTML, 403: HTML}, public=True, tags=DASHBOARD),
    Operation("POST", LOGIN_LINKS_PATH, "A one-time link that signs a browser in as the "
              "caller's token.", {200: DashboardLoginLink}, tags=DASHBOARD),
    Operation("GET", "/dashboard/login/{code}", "Trade a one-time login link for a session.",
              {303: None, 401: HTML}, public=True, tags=DASHBOARD),
    Operation("POST", "/dashboard/logout", "End the browser's session (form).", {303: None},
              public=True, errors=FORBIDDEN, tags=DASHBOARD),
    Operation("POST", "/dashboard/promote", "Apply a hotspot's promote (form, operator).",
              {303: None}, public=True, errors=DASHBOARD_FORM, tags=DASHBOARD),
    Operation("POST", "/dashboard/webhooks/retry", "Re-arm an exhausted webhook delivery (form, "
              "operator).", {303: None}, public=True, errors=DASHBOARD_FORM, tags=DASHBOARD),
    Operation("GET", "/dashboard/events", "Server-sent events telling the page to re-read its "
              "panels.", {200: EVENT_STREAM}, public=True,
              errors=(ErrorCode.UNAUTHORIZED, ErrorCode.RATE_LIMITED), tags=DASHBOARD),
    Operation("GET", "/dashboard/static/{name}", "The page's stylesheet and script.",
              {200: "text/css|text/javascript"}, public=True, tags=DASHBOARD),
)  # fmt: skip

EVERY_REQUEST = (ErrorCode.BAD_REQUEST, ErrorCode.INVALID_TEXT, ErrorCode.UNAVAILABLE)
"""Any request: the HTTP parser (a request line and headers over 64 KiB), the query text guard
(a free-text query parameter with a control character) and the concurrency cap
(COORD_LIMIT_CONCURRENCY) answer before any route."""
AUTHENTICATED = (ErrorCode.UNAUTHORIZED,)
CHANGING = (ErrorCode.UNSUPPORTED_MEDIA_TYPE, ErrorCode.FORBIDDEN)
"""A request that may change state: the gate refuses form and text bodies, and read-only
tokens (except on the question routes)."""
WITH_BODY = (ErrorCode.BAD_REQUEST, ErrorCode.VALIDATION_ERROR, ErrorCode.PAYLOAD_TOO_LARGE)
WITH_QUERY = (ErrorCode.VALIDATION_ERROR,)
WITH_PATH = (ErrorCode.NOT_FOUND,)
"""An id nobody knows, or a path that matches no route (an id holding `/`)."""
WITH_KEY = (ErrorCode.BAD_REQUEST, ErrorCode.IDEMPOTENCY_MISMATCH)
ERROR_BODIES: dict[ErrorCode, type[BaseModel]] = {ErrorCode.VALIDATION_ERROR: ValidationErrorBody}
"""The body model of an error code, where it carries more than `ErrorBody`'s keys."""

PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "session_id": {"type": "string", "pattern": SESSION_ID_PATTERN}
}
ID_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[^/]+$"}
"""Any other path parameter: an id, which cannot hold `/` (that would be another path)."""
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Send the same key again to get the first call's answer instead of a second "
                   "effect (for 24 h); a key reused with another body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": "^[!-~]([ -~]*[!-~])?$"},
}  # fmt: skip


@cache
def openapi_document(version: str) -> dict[str, Any]:
    """The whole document (built once per version)."""
    schemas = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, schemas
        )
    bodies = {operation.body for operation in OPERATIONS}
    for operation in OPERATIONS:  # a query model describes parameters, not a component
        if operation.params is not None and operation.params not in bodies:
            schemas.pop(operation.params.__name__, None)
    return {
        "openapi": "3.1.0",
        "info": {"title": "coord", "version": version,
                 "description": "Claims on files, globs, modules and symbols for agent teams."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip


def _schemas() -> dict[str, Any]:
    """Every model's schema: answers as they serialise, bodies and queries as they validate."""
    answers: set[type[BaseModel]] = {ErrorBody, ValidationErrorBody, WebhookPayload}
    inputs: set[type[BaseModel]] = set()
    for operation in OPERATIONS:
        answers |= {model for content in operation.answers.values() for model in _models(content)}
        inputs |= {model for model in (operation.body, operation.params) if model is not None}
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((model, "serialization") for model in sorted(answers, key=_name)),
        *((model, "validation") for model in sorted(inputs, key=_name)),
    ]
    _, schemas = models_json_schema(modes, ref_template=REF_PREFIX + "{model}")
    found: dict[str, Any] = schemas.get("$defs", {})
    return found


def _name(model: type[BaseModel]) -> str:
    return model.__name__


def _models(content: Content) -> tuple[type[BaseModel], ...]:
    if isinstance(content, tuple):
        return content
    if isinstance(content, type):
        return (content,)
    return ()


def _operation(operation: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "summary": operation.summary,
        "tags": list(operation.tags),
        "responses": _responses(operation),
        "parameters": [_path_param(part) for part in _path_params(operation.path)]
        + _query_params(operation, schemas)
        + ([IDEMPOTENCY_KEY] if operation.idempotent else []),
    }
    if not operation.public:
        described["security"] = [{"bearer": []}]
    body = _request_body(operation)
    if body is not None:
        described["requestBody"] = body
    return described


def _request_body(operation: Operation) -> dict[str, Any] | None:
    if operation.body is not None:
        schema = {"$ref": REF_PREFIX + _name(operation.body)}
        return {"required": True, "content": {JSON: {"schema": schema}}}
    if operation.raw_body:
        kind = {"type": "object"} if operation.raw_body == (JSON,) else {"type": "string"}
        return {"required": True, "content": {media: {"schema": kind}
                                              for media in operation.raw_body}}  # fmt: skip
    return None


# -- answers -------------------------------------------------------------------------------------


def error_codes(operation: Operation) -> list[ErrorCode]:
    """Every error code `operation` can answer, in the order of `ErrorCode`."""
    codes = {*EVERY_REQUEST, *operation.errors}
    if not operation.public:
        codes |= set(AUTHENTICATED)
    if operation.method not in READING_METHODS:
        codes.add(ErrorCode.UNSUPPORTED_MEDIA_TYPE)
        if not operation.public and operation.path not in QUESTIONS:
            codes.add(ErrorCode.FORBIDDEN)
    if operation.body is not None or operation.raw_body:
        codes |= set(WITH_BODY) if operation.body is not None else {ErrorCode.PAYLOAD_TOO_LARGE}
    if operation.params is not None or operation.flags:
        codes |= set(WITH_QUERY)
    if _path_params(operation.path):
        codes |= set(WITH_PATH)
    if operation.idempotent:
        codes |= set(WITH_KEY)
    return [code for code in ErrorCode if code in codes]


def _responses(operation: Operation) -> dict[str, Any]:
    by_status: dict[int, list[ErrorCode]] = {}
    for code in error_codes(operation):
        by_status.setdefault(HTTP_STATUS[code], []).append(code)
    statuses = sorted(set(operation.answers) | set(by_status))
    responses = {str(status): _answer(operation.answers.get(status, None),
                                      by_status.get(status, []), status in operation.answers)
                 for status in statuses}  # fmt: skip
    for link in operation.links:
        responses[str(link.status)].setdefault("links", {})[_link_name(link)] = _link(link)
    return responses


def _link_name(link: Link) -> str:
    words = re.findall(r"[a-z]+", f"{link.method.lower()} {link.path.replace('{', ' by ')}")
    return "".join(word.capitalize() for word in words)


def _link(link: Link) -> dict[str, Any]:
    pointer = link.path.replace("~", "~0").replace("/", "~1")
    described: dict[str, Any] = {"operationRef": f"#/paths/{pointer}/{link.method.lower()}"}
    if link.parameters:
        described["parameters"] = dict(link.parameters)
    if link.body:
        described["requestBody"] = dict(link.body)
    return described


def _answer(content: Content, codes: list[ErrorCode], answered: bool) -> dict[str, Any]:
    """One status: the route's own answer and/or coord error bodies naming their codes."""
    media: dict[str, Any] = {}
    if answered and isinstance(content, str):
        media.update((media_type, {}) for media_type in content.split("|"))
    models = list(_models(content)) if answered else []
    models += sorted({ERROR_BODIES.get(code, ErrorBody) for code in codes}, key=_name)
    if models and JSON not in media:
        media[JSON] = {"schema": _one_of(models)}
    description = "answer" if answered else "error"
    if codes:
        description += "; error codes: " + ", ".join(f"`{code}`" for code in codes)
    return {"description": description, "content": media} if media else {"description": description}


def _one_of(models: list[type[BaseModel]]) -> dict[str, Any]:
    refs = [{"$ref": REF_PREFIX + model.__name__} for model in dict.fromkeys(models)]
    return refs[0] if len(refs) == 1 else {"anyOf": refs}


# -- parameters ----------------------------------------------------------------------------------


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _path_param(name: str) -> dict[str, Any]:
    schema = PATH_SCHEMAS.get(name, ID_SCHEMA)
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_params(operation: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params = [_query_param(name, {"type": "string"}) for name in operation.query]
    params += [_query_param(name, {"type": "boolean"}) for name in operation.flags]
    if operation.params is not None:
        properties = schemas[operation.params.__name__].get("properties", {})
        fields = operation.params.model_fields
        for field_name, info in fields.items():
            schema = _present(properties[field_name])
            wire = operation.renamed.get(field_name, field_name)
            if wire in operation.flags:
                continue
            param = _query_param(wire, schema, info.is_required())
            if info.description:
                param["description"] = info.description
            params.append(param)
    return params


def _query_param(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    if name in FREE_TEXT_FIELDS and schema.get("type") == "string":
        schema = {"pattern": SAFE_TEXT_PATTERN, **schema}
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _present(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's schema as a query parameter: absent stands for null, so no null branch."""
    schema = {key: value for key, value in schema.items()
              if key not in ("default", "title", "description")}  # fmt: skip
    branches = [branch for branch in schema.get("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**rest, **branches[0]}
    return schema
