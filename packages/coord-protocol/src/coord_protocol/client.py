"""Typed HTTP client for the coord API (extra `client`: needs httpx).

One request builder serves a blocking client (CLI, hooks) and an async one (MCP bridge). A 409 on
`POST /claims` is an answer, not a failure, so it comes back as a `CreateClaimsResponse`; every
other error body becomes the same `CoordError` the server raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from coord_protocol import local_env
from coord_protocol.adherence import DEFAULT_WINDOW_DAYS, AdherenceReport
from coord_protocol.checkouts import CheckoutList, RegisterCheckoutRequest
from coord_protocol.claims import (
    ClaimList,
    CreateClaimsRequest,
    CreateClaimsResponse,
    ExtendClaimRequest,
    ExtendClaimResponse,
    ReleaseClaimsRequest,
    ReleaseResponse,
)
from coord_protocol.conflicts import ConflictBatchRequest, ConflictCheckResponse
from coord_protocol.dashboard import LOGIN_LINKS_PATH, DashboardLoginLink
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.fences import FenceCheckRequest, FenceCheckResponse
from coord_protocol.outbox import (
    OutboxPurgeRequest,
    OutboxPurgeResponse,
    OutboxRetryRequest,
    OutboxRetryResponse,
    OutboxState,
    OutboxStats,
    OutboxTail,
)
from coord_protocol.ownership import (
    AutoResolutionSeries,
    HotspotList,
    OwnershipSummary,
    PromoteRequest,
    PromoteResponse,
)
from coord_protocol.queue import CancelQueueResponse, QueueList
from coord_protocol.requests import (
    CreateReleaseRequest,
    PendingRequests,
    ReleaseRequest,
    ReleaseRequestList,
    RequestEventList,
    RespondRequest,
)
from coord_protocol.service import Meta, Readiness, WhoAmI
from coord_protocol.tokens import CreateTokenRequest, RevokeTokenResponse, TokenCreated, TokenList

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_LIST_PAGES = 20
"""Pages a client follows for one listing (20 x 500 claims by default)."""

DEFAULT_TIMEOUT_SEC = 30.0
"""Timeout of an ordinary call; long-polls add their own wait on top."""

LONG_POLL_MARGIN_SEC = 15.0
"""Extra time a long-poll gets beyond its `wait_seconds`, so the server answers first."""

OWNERS_MEDIA_TYPE = "application/yaml"
"""Content type of owners.yaml on `/config/ownership`, both ways."""

PLACEHOLDER_TOKENS = local_env.PLACEHOLDER_TOKENS
"""Token values that templates ship: never sent as a bearer token (defined with the
stdlib-only local.env reader, which hooks use without loading this client)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP call, described before it is sent."""

    method: str
    path: str
    json: Any = None
    params: list[tuple[str, str]] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT_SEC
    answers: tuple[int, ...] = (200,)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Where the service is and who is calling."""

    base_url: str
    token: str | None = None
    session_id: str | None = None

    def headers(self) -> dict[str, str]:
        """Headers sent with every call; a placeholder token is left out, never sent."""
        headers = {"Accept": "application/json", "User-Agent": "coord-client"}
        if self.token and self.token.strip() not in PLACEHOLDER_TOKENS:
            headers["Authorization"] = f"Bearer {self.token.strip()}"
        if self.session_id:
            headers["X-Coord-Session"] = self.session_id
        return headers


def _body(model: BaseModel) -> Any:
    return model.model_dump(mode="json", exclude_none=True)


def _segment(value: str) -> str:
    # Ids come from agents: a `/` or `?` inside one must not reach another route.
    return quote(value, safe="")


def error_from_response(response: httpx.Response) -> CoordError:
    """The `CoordError` an error response carries, or a clear one when it carries none."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        extra = {k: v for k, v in body.items() if k not in {"detail", "code"}}
        try:
            code = ErrorCode(body.get("code", ""))
        except ValueError:
            code = ErrorCode.INTERNAL
        return CoordError(code, body["detail"], status=response.status_code, **extra)
    return CoordError(
        ErrorCode.UNAVAILABLE if response.status_code >= 500 else ErrorCode.BAD_REQUEST,
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code} without a coord error body; is the URL a coord service?",
        status=response.status_code,
    )


def parse(call: Call, response: httpx.Response, model: type[ModelT]) -> ModelT:
    """Turn an answer into `model`, or raise the `CoordError` it carries."""
    if response.status_code not in call.answers:
        raise error_from_response(response)
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        raise CoordError(
            ErrorCode.INTERNAL,
            f"{call.method} {call.path} returned a body this client cannot read ({exc}); "
            "check that client and server versions agree (`coord doctor`).",
        ) from exc


def unreachable(config: ClientConfig, exc: httpx.HTTPError) -> CoordError:
    """The error for a service that could not be reached at all."""
    return CoordError(
        ErrorCode.UNAVAILABLE,
        f"coord service at {config.base_url} is unreachable ({type(exc).__name__}: {exc}); "
        "start it with `coord start` or fix COORD_API_URL.",
    )


class Calls:
    """Builders of every call, shared by the blocking and the async client."""

    @staticmethod
    def create_claims(request: CreateClaimsRequest, idempotency_key: str | None = None) -> Call:
        """`POST /claims`; 409 is an answer. Long-polls when `wait_seconds` is set."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        timeout = DEFAULT_TIMEOUT_SEC + request.wait_seconds + LONG_POLL_MARGIN_SEC
        return Call("POST", "/claims", _body(request), [], timeout, (200, 409), headers)

    @staticmethod
    def list_claims(**filters: str | bool | None) -> Call:
        """`GET /claims` with the given filters."""
        params = [
            (key, str(value).lower() if isinstance(value, bool) else value)
            for key, value in filters.items()
            if value is not None
        ]
        return Call("GET", "/claims", params=params)

    @staticmethod
    def release_claims(request: ReleaseClaimsRequest) -> Call:
        """`POST /claims/release`."""
        return Call("POST", "/claims/release", _body(request))

    @staticmethod
    def release_claim(claim_id: str, engineer: str | None = None) -> Call:
        """`DELETE /claims/{id}`."""
        params = [("engineer", engineer)] if engineer else []
        return Call("DELETE", f"/claims/{_segment(claim_id)}", params=params)

    @staticmethod
    def extend_claim(claim_id: str, request: ExtendClaimRequest) -> Call:
        """`POST /claims/{id}/extend`."""
        return Call("POST", f"/claims/{_segment(claim_id)}/extend", _body(request))

    @staticmethod
    def check_conflicts(request: ConflictBatchRequest) -> Call:
        """`POST /conflicts/batch`."""
        return Call("POST", "/conflicts/batch", _body(request))

    @staticmethod
    def check_fences(request: FenceCheckRequest) -> Call:
        """`POST /fences/check`."""
        return Call("POST", "/fences/check", _body(request))

    @staticmethod
    def report_adherence(report: AdherenceReport) -> Call:
        """`POST /adherence/reports`."""
        return Call("POST", "/adherence/reports", _body(report))

    @staticmethod
    def adherence(days: int = DEFAULT_WINDOW_DAYS, repo: str | None = None) -> Call:
        """`GET /metrics/adherence`."""
        params = [("days", str(days))] + ([("repo", repo)] if repo else [])
        return Call("GET", "/metrics/adherence", params=params)

    @staticmethod
    def release_session(session_id: str, repo: str | None = None) -> Call:
        """`POST /sessions/{id}/release`."""
        params = [("repo", repo)] if repo else []
        # No body, but a JSON type: the service refuses a bodyless POST that a web form could
        # have sent (SPEC §13), unless a bearer token shows it came from a program.
        json_type = {"Content-Type": "application/json"}
        return Call("POST", f"/sessions/{_segment(session_id)}/release", params=params,
                    headers=json_type)  # fmt: skip

    @staticmethod
    def queue(engineer: str | None = None, repo: str | None = None) -> Call:
        """`GET /requests?queued=true`."""
        params = [("queued", "true")]
        params += [(k, v) for k, v in (("engineer", engineer), ("repo", repo)) if v]
        return Call("GET", "/requests", params=params)

    @staticmethod
    def cancel_queue(queue_id: str) -> Call:
        """`DELETE /requests/{queue_id}`."""
        return Call("DELETE", f"/requests/{_segment(queue_id)}")

    @staticmethod
    def request_release(request: CreateReleaseRequest, idempotency_key: str | None = None) -> Call:
        """`POST /requests`; long-polls for the holder's decision when `wait_seconds` is set."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        timeout = DEFAULT_TIMEOUT_SEC + request.wait_seconds + LONG_POLL_MARGIN_SEC
        return Call("POST", "/requests", _body(request), [], timeout, (200, 201), headers)

    @staticmethod
    def release_request(request_id: str, wait_seconds: int = 0) -> Call:
        """`GET /requests/{id}`; with `wait_seconds`, long-polls until the request is decided."""
        params = [("wait_seconds", str(wait_seconds))] if wait_seconds > 0 else []
        timeout = DEFAULT_TIMEOUT_SEC + max(wait_seconds, 0) + LONG_POLL_MARGIN_SEC
        return Call("GET", f"/requests/{_segment(request_id)}", params=params, timeout=timeout)

    @staticmethod
    def release_requests(**filters: str | None) -> Call:
        """`GET /requests`: release requests, filtered (`engineer`, `decision`, `repo`, ...)."""
        params = [(key, value) for key, value in filters.items() if value is not None]
        return Call("GET", "/requests", params=params)

    @staticmethod
    def request_events(request_id: str) -> Call:
        """`GET /requests/{id}/events`: the request's audit timeline."""
        return Call("GET", f"/requests/{_segment(request_id)}/events")

    @staticmethod
    def respond_to_request(request_id: str, response: RespondRequest) -> Call:
        """`POST /requests/{id}/respond`: the holder's decision."""
        return Call("POST", f"/requests/{_segment(request_id)}/respond", _body(response))

    @staticmethod
    def pending_requests(session_id: str) -> Call:
        """`GET /sessions/{id}/pending_requests`: the holder's inbox."""
        return Call("GET", f"/sessions/{_segment(session_id)}/pending_requests")

    @staticmethod
    def get(path: str) -> Call:
        """A plain GET such as `/whoami`, `/meta`, `/readyz`."""
        return Call("GET", path)

    @staticmethod
    def outbox_stats() -> Call:
        """`GET /admin/outbox/stats`."""
        return Call("GET", "/admin/outbox/stats")

    @staticmethod
    def outbox_tail(limit: int = 50, state: OutboxState | None = None) -> Call:
        """`GET /admin/outbox/tail`."""
        params = [("limit", str(limit))] + ([("state", state)] if state else [])
        return Call("GET", "/admin/outbox/tail", params=params)

    @staticmethod
    def outbox_retry(request: OutboxRetryRequest) -> Call:
        """`POST /admin/outbox/retry`."""
        return Call("POST", "/admin/outbox/retry", _body(request))

    @staticmethod
    def outbox_purge(request: OutboxPurgeRequest) -> Call:
        """`POST /admin/outbox/purge`."""
        return Call("POST", "/admin/outbox/purge", _body(request))

    @staticmethod
    def checkouts() -> Call:
        """`GET /admin/checkouts` (operator)."""
        return Call("GET", "/admin/checkouts")

    @staticmethod
    def register_checkout(request: RegisterCheckoutRequest) -> Call:
        """`PUT /admin/checkouts` (operator, from the service's machine)."""
        return Call("PUT", "/admin/checkouts", _body(request))

    @staticmethod
    def create_token(request: CreateTokenRequest) -> Call:
        """`POST /admin/tokens` (operator): 201 with the secret, shown this once."""
        return Call("POST", "/admin/tokens", _body(request), answers=(201,))

    @staticmethod
    def list_tokens() -> Call:
        """`GET /admin/tokens` (operator): every token, never a secret."""
        return Call("GET", "/admin/tokens")

    @staticmethod
    def rotate_token(token_id: str) -> Call:
        """`POST /admin/tokens/{id}/rotate` (operator): a new secret; the old one stops now."""
        json_type = {"Content-Type": "application/json"}  # bodyless, but never form-like
        return Call("POST", f"/admin/tokens/{_segment(token_id)}/rotate", headers=json_type)

    @staticmethod
    def revoke_token(token_id: str) -> Call:
        """`DELETE /admin/tokens/{id}` (operator)."""
        return Call("DELETE", f"/admin/tokens/{_segment(token_id)}")

    @staticmethod
    def hotspots(days: int = 30, repo: str | None = None, limit: int | None = None) -> Call:
        """`GET /metrics/hotspots`: patterns by blocked claim attempts."""
        params = [("days", str(days))] + ([("repo", repo)] if repo else [])
        params += [("limit", str(limit))] if limit is not None else []
        return Call("GET", "/metrics/hotspots", params=params)

    @staticmethod
    def dashboard_login_link() -> Call:
        """`POST /dashboard/login-links`: a one-time link that signs a browser in."""
        return Call("POST", LOGIN_LINKS_PATH)

    @staticmethod
    def promote(request: PromoteRequest) -> Call:
        """`POST /metrics/hotspots/promote` (operator): a shared_files entry or a split."""
        return Call("POST", "/metrics/hotspots/promote", _body(request))

    @staticmethod
    def auto_resolutions(days: int = 30, repo: str | None = None) -> Call:
        """`GET /metrics/auto-resolutions`: daily auto-coexist / auto-narrow per repo."""
        params = [("days", str(days))] + ([("repo", repo)] if repo else [])
        return Call("GET", "/metrics/auto-resolutions", params=params)

    @staticmethod
    def ownership() -> Call:
        """`GET /config/ownership` (operator): the YAML text, 204 when none."""
        return Call("GET", "/config/ownership", answers=(200, 204))

    @staticmethod
    def upload_ownership() -> Call:
        """`POST /config/ownership` (operator); the body is the raw YAML, sent separately."""
        return Call("POST", "/config/ownership", headers={"Content-Type": OWNERS_MEDIA_TYPE})


class CoordClient:
    """Blocking client: one connection pool, closed with `close()` or a `with` block."""

    def __init__(self, config: ClientConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self._http = httpx.Client(
            base_url=config.base_url, headers=config.headers(), transport=transport
        )

    def __enter__(self) -> CoordClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def send(self, call: Call, model: type[ModelT]) -> ModelT:
        """Send `call` and read the answer as `model`."""
        try:
            response = self._http.request(
                call.method, call.path, json=call.json, params=tuple(call.params),
                timeout=call.timeout, headers=call.headers,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise unreachable(self.config, exc) from exc
        return parse(call, response, model)

    def create_claims(
        self, request: CreateClaimsRequest, idempotency_key: str | None = None
    ) -> CreateClaimsResponse:
        """Claim; a conflict comes back as a response with `conflicts`, not an exception."""
        return self.send(Calls.create_claims(request, idempotency_key), CreateClaimsResponse)

    def list_claims(self, **filters: str | bool | None) -> ClaimList:
        """List claims, following `next_cursor` for up to `MAX_LIST_PAGES` pages; past that
        the answer keeps its `next_cursor`, so a caller can say it shows the first N of
        `total`."""
        page = self.send(Calls.list_claims(**filters), ClaimList)
        claims = list(page.claims)
        for _ in range(MAX_LIST_PAGES - 1):
            if page.next_cursor is None:
                break
            page = self.send(Calls.list_claims(**filters, cursor=page.next_cursor), ClaimList)
            claims += page.claims
        return ClaimList(
            claims=claims, count=len(claims), total=page.total, next_cursor=page.next_cursor
        )

    def release_claims(self, request: ReleaseClaimsRequest) -> ReleaseResponse:
        """Release several claims."""
        return self.send(Calls.release_claims(request), ReleaseResponse)

    def release_claim(self, claim_id: str, engineer: str | None = None) -> ReleaseResponse:
        """Release one claim."""
        return self.send(Calls.release_claim(claim_id, engineer), ReleaseResponse)

    def extend_claim(self, claim_id: str, request: ExtendClaimRequest) -> ExtendClaimResponse:
        """Give a claim a new expiry."""
        return self.send(Calls.extend_claim(claim_id, request), ExtendClaimResponse)

    def check_conflicts(self, request: ConflictBatchRequest) -> ConflictCheckResponse:
        """Would these patterns conflict?"""
        return self.send(Calls.check_conflicts(request), ConflictCheckResponse)

    def check_fences(self, request: FenceCheckRequest) -> FenceCheckResponse:
        """The fence check of changed paths (at most `MAX_FENCE_ENTRIES` entries a call)."""
        return self.send(Calls.check_fences(request), FenceCheckResponse)

    def release_session(self, session_id: str, repo: str | None = None) -> ReleaseResponse:
        """Release every claim of a session."""
        return self.send(Calls.release_session(session_id, repo), ReleaseResponse)

    def queue(self, engineer: str | None = None, repo: str | None = None) -> QueueList:
        """Waiting queue entries."""
        return self.send(Calls.queue(engineer, repo), QueueList)

    def cancel_queue(self, queue_id: str) -> CancelQueueResponse:
        """Cancel a queue entry."""
        return self.send(Calls.cancel_queue(queue_id), CancelQueueResponse)

    def request_release(
        self, request: CreateReleaseRequest, idempotency_key: str | None = None
    ) -> ReleaseRequest:
        """File a release request; with `wait_seconds`, wait for the holder's decision."""
        return self.send(Calls.request_release(request, idempotency_key), ReleaseRequest)

    def release_request(self, request_id: str, wait_seconds: int = 0) -> ReleaseRequest:
        """One release request; with `wait_seconds`, wait until it is decided."""
        return self.send(Calls.release_request(request_id, wait_seconds), ReleaseRequest)

    def release_requests(self, **filters: str | None) -> ReleaseRequestList:
        """Release requests matching the filters."""
        return self.send(Calls.release_requests(**filters), ReleaseRequestList)

    def request_events(self, request_id: str) -> RequestEventList:
        """The audit timeline of a release request."""
        return self.send(Calls.request_events(request_id), RequestEventList)

    def respond_to_request(self, request_id: str, response: RespondRequest) -> ReleaseRequest:
        """Answer a release request as the holder."""
        return self.send(Calls.respond_to_request(request_id, response), ReleaseRequest)

    def pending_requests(self, session_id: str) -> PendingRequests:
        """The inbox of a session: release requests and notices."""
        return self.send(Calls.pending_requests(session_id), PendingRequests)

    def whoami(self) -> WhoAmI:
        """Identity behind the token."""
        return self.send(Calls.get("/whoami"), WhoAmI)

    def meta(self) -> Meta:
        """Service metadata (no auth)."""
        return self.send(Calls.get("/meta"), Meta)

    def readiness(self) -> Readiness:
        """Readiness (no auth)."""
        return self.send(Calls.get("/readyz"), Readiness)

    def checkouts(self) -> CheckoutList:
        """The checkout the service reads for each repository (operator)."""
        return self.send(Calls.checkouts(), CheckoutList)

    def register_checkout(self, request: RegisterCheckoutRequest) -> CheckoutList:
        """Register a repository's checkout with a local service (operator)."""
        return self.send(Calls.register_checkout(request), CheckoutList)

    def outbox_stats(self) -> OutboxStats:
        """Webhook deliveries of the last 24 h per event type and state (operator)."""
        return self.send(Calls.outbox_stats(), OutboxStats)

    def dashboard_login_link(self) -> DashboardLoginLink:
        """A one-time dashboard link signing a browser in as this client's token."""
        return self.send(Calls.dashboard_login_link(), DashboardLoginLink)

    def outbox_tail(self, limit: int = 50, state: OutboxState | None = None) -> OutboxTail:
        """The newest webhook deliveries (operator)."""
        return self.send(Calls.outbox_tail(limit, state), OutboxTail)

    def outbox_retry(self, request: OutboxRetryRequest) -> OutboxRetryResponse:
        """Re-arm failed or exhausted deliveries (operator)."""
        return self.send(Calls.outbox_retry(request), OutboxRetryResponse)

    def outbox_purge(self, request: OutboxPurgeRequest) -> OutboxPurgeResponse:
        """Delete old delivered or exhausted rows (operator)."""
        return self.send(Calls.outbox_purge(request), OutboxPurgeResponse)

    def create_token(self, request: CreateTokenRequest) -> TokenCreated:
        """A new engineer token (operator); its secret is in this answer only."""
        return self.send(Calls.create_token(request), TokenCreated)

    def list_tokens(self) -> TokenList:
        """Every engineer token, newest first, without secrets (operator)."""
        return self.send(Calls.list_tokens(), TokenList)

    def rotate_token(self, token_id: str) -> TokenCreated:
        """A new secret for token `token_id`; the old one is refused from now on (operator)."""
        return self.send(Calls.rotate_token(token_id), TokenCreated)

    def revoke_token(self, token_id: str) -> RevokeTokenResponse:
        """Revoke token `token_id`; `revoked` is False when it was revoked already (operator)."""
        return self.send(Calls.revoke_token(token_id), RevokeTokenResponse)

    def hotspots(
        self, days: int = 30, repo: str | None = None, limit: int | None = None
    ) -> HotspotList:
        """Patterns agents keep being refused on, with a suggested action."""
        return self.send(Calls.hotspots(days, repo, limit), HotspotList)

    def promote(self, request: PromoteRequest) -> PromoteResponse:
        """Write a hotspot rule into owners.yaml (operator); idempotent."""
        return self.send(Calls.promote(request), PromoteResponse)

    def auto_resolutions(self, days: int = 30, repo: str | None = None) -> AutoResolutionSeries:
        """Daily auto-coexist / auto-narrow counts per repo."""
        return self.send(Calls.auto_resolutions(days, repo), AutoResolutionSeries)

    def ownership(self) -> str:
        """owners.yaml in force, exactly as written ("" when none was uploaded; operator)."""
        call = Calls.ownership()
        response = self._raw(call, None)
        if response.status_code not in call.answers:
            raise error_from_response(response)
        return response.text if response.status_code == 200 else ""

    def upload_ownership(self, text: str) -> OwnershipSummary:
        """Put owners.yaml `text` in force (operator); a refusal names the line and the rule."""
        call = Calls.upload_ownership()
        return parse(call, self._raw(call, text.encode("utf-8")), OwnershipSummary)

    def _raw(self, call: Call, content: bytes | None) -> httpx.Response:
        try:
            return self._http.request(
                call.method, call.path, content=content, params=tuple(call.params),
                timeout=call.timeout, headers=call.headers,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise unreachable(self.config, exc) from exc


class AsyncCoordClient:
    """Async twin of `CoordClient`, for event-loop callers such as the MCP bridge."""

    def __init__(
        self, config: ClientConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._http = httpx.AsyncClient(
            base_url=config.base_url, headers=config.headers(), transport=transport
        )

    async def __aenter__(self) -> AsyncCoordClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def send(self, call: Call, model: type[ModelT]) -> ModelT:
        """Send `call` and read the answer as `model`."""
        try:
            response = await self._http.request(
                call.method, call.path, json=call.json, params=tuple(call.params),
                timeout=call.timeout, headers=call.headers,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise unreachable(self.config, exc) from exc
        return parse(call, response, model)

    async def request_release(
        self, request: CreateReleaseRequest, idempotency_key: str | None = None
    ) -> ReleaseRequest:
        """File a release request; with `wait_seconds`, wait for the holder's decision."""
        return await self.send(Calls.request_release(request, idempotency_key), ReleaseRequest)

    async def release_request(self, request_id: str, wait_seconds: int = 0) -> ReleaseRequest:
        """One release request; with `wait_seconds`, wait until it is decided."""
        return await self.send(Calls.release_request(request_id, wait_seconds), ReleaseRequest)

    async def release_requests(self, **filters: str | None) -> ReleaseRequestList:
        """Release requests matching the filters."""
        return await self.send(Calls.release_requests(**filters), ReleaseRequestList)

    async def request_events(self, request_id: str) -> RequestEventList:
        """The audit timeline of a release request."""
        return await self.send(Calls.request_events(request_id), RequestEventList)

    async def respond_to_request(self, request_id: str, response: RespondRequest) -> ReleaseRequest:
        """Answer a release request as the holder."""
        return await self.send(Calls.respond_to_request(request_id, response), ReleaseRequest)

    async def pending_requests(self, session_id: str) -> PendingRequests:
        """The inbox of a session: release requests and notices."""
        return await self.send(Calls.pending_requests(session_id), PendingRequests)

    async def outbox_stats(self) -> OutboxStats:
        """Webhook deliveries of the last 24 h per event type and state (operator)."""
        return await self.send(Calls.outbox_stats(), OutboxStats)

    async def outbox_tail(self, limit: int = 50, state: OutboxState | None = None) -> OutboxTail:
        """The newest webhook deliveries (operator)."""
        return await self.send(Calls.outbox_tail(limit, state), OutboxTail)

    async def outbox_retry(self, request: OutboxRetryRequest) -> OutboxRetryResponse:
        """Re-arm failed or exhausted deliveries (operator)."""
        return await self.send(Calls.outbox_retry(request), OutboxRetryResponse)

    async def outbox_purge(self, request: OutboxPurgeRequest) -> OutboxPurgeResponse:
        """Delete old delivered or exhausted rows (operator)."""
        return await self.send(Calls.outbox_purge(request), OutboxPurgeResponse)
