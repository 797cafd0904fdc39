"""`/dashboard`: the server-rendered dashboard, its login, forms, live stream and assets (SPEC §12).

The gate lets `/dashboard` paths through without a token (`DASHBOARD_PREFIX`): these routes
authenticate for themselves. A valid `Authorization: Bearer` token gets the page directly (curl,
monitoring); a browser signs in with a token once and then carries only a random session id in
an HttpOnly, SameSite=Strict cookie. Every form carries a CSRF token: the session's, or, before a
session exists (the login form, insecure mode), a random value also set as a cookie.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from coord_protocol.dashboard import LOGIN_LINKS_PATH, DashboardLoginLink
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import PromoteAction
from coord_server.auth import Principal, principal_of
from coord_server.context import AppContext, context
from coord_server.dashboard import (
    NO_REPO,
    STATIC_FILES,
    Board,
    BoardQuery,
    DashboardSessions,
    Login,
    RankingCache,
    render,
    same_secret,
    static_file,
)
from coord_server.dashboard.board import STALE_AFTER
from coord_server.http import model_response, read_body
from coord_server.routes._common import ReservedStream
from coord_server.routes.events import RETRY_MS, STREAM_HEADERS
from coord_server.service.live import BroadcasterClosedError, StreamSlot

DASHBOARD_PREFIX = "/dashboard"
SESSION_COOKIE = "coord_dashboard"
FORM_COOKIE = "coord_dashboard_form"
COALESCE_SEC = 0.5
"""Changes within this long after a message make one more message, not one each: a page
re-reads its panels at most twice a second, however busy the service is (the first change
after a quiet spell is sent at once)."""
FORM_LIMIT = 16 * 1024
"""A dashboard form is a token and a few short fields."""
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Everything the page loads comes from this server; the browser enforces it too.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
}
REFUSED_LOGIN = (
    "That token is unknown, revoked or expired. Use COORD_AUTH_TOKEN or a token from "
    "`coord tokens create`."
)
USED_LINK = (
    "This login link was used already or has expired: sign in with a token, or run "
    "`coord start --open-dashboard` again."
)
DONE = {
    "promoted": "The rule was written to owners.yaml.",
    "unchanged": "owners.yaml already had that rule; nothing changed.",
    "retried": "The delivery was re-armed and will be tried again now.",
    "signed-out": "Signed out.",
}


# -- who is looking ---------------------------------------------------------------------


def _sessions(ctx: AppContext) -> DashboardSessions:
    lifetime = timedelta(hours=ctx.settings.dashboard_session_hours)
    return DashboardSessions(ctx.store, ctx.clock, lifetime)


def _rankings(request: Request) -> RankingCache:
    """The app's hotspot rankings, made on the first render (one per app, like its context)."""
    state = request.app.state
    if not hasattr(state, "dashboard_rankings"):
        state.dashboard_rankings = RankingCache()
    cache: RankingCache = state.dashboard_rankings
    return cache


async def _viewer(request: Request) -> tuple[Principal, Login | None] | None:
    """Who the request shows the dashboard to: a bearer principal, a session's, or nobody."""
    ctx = context(request)
    bearer = principal_of(request)
    if ctx.settings.auth_token is None or bearer.kind != "anonymous":
        return bearer, None  # insecure mode (everyone is the operator), or a valid token
    session_id = request.cookies.get(SESSION_COOKIE)
    login = await _sessions(ctx).find(session_id) if session_id else None
    if login is None or login.principal.kind == "anonymous":
        return None  # an insecure-mode session is worth nothing once a token is required
    return login.principal, login


async def _token_principal(ctx: AppContext, token: str) -> Principal | None:
    operator = ctx.settings.auth_token
    if operator and hmac.compare_digest(token.encode(), operator.encode()):
        return Principal(kind="operator")
    return await ctx.tokens.authenticate(token) if token else None


def _describe(principal: Principal) -> str:
    if principal.kind == "engineer":
        return principal.describe().removeprefix("the token of ")
    return "the operator" if principal.kind == "operator" else "anyone (no authentication)"


# -- forms and cookies ------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise CoordError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"dashboard forms are sent as application/x-www-form-urlencoded, not "
            f"{media or '(none)'!r}: submit the form from the dashboard page.",
        )
    body = await read_body(request, FORM_LIMIT)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _form_csrf(request: Request, login: Login | None) -> str:
    """The CSRF token the page's forms carry."""
    if login is not None:
        return login.csrf_token
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)


def _check_csrf(request: Request, form: dict[str, str], login: Login | None) -> None:
    if login is None and principal_of(request).kind != "anonymous":
        return  # a bearer token is no ambient credential: a web page cannot send one
    expected = login.csrf_token if login else request.cookies.get(FORM_COOKIE, "")
    presented = form.get("csrf_token", "")
    if not expected or not presented or not same_secret(presented, expected):
        raise CoordError(
            ErrorCode.FORBIDDEN,
            "the form's CSRF token is missing or wrong (an old page, or a form sent from "
            "another site): reload the dashboard and submit the form again.",
        )


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _html(request: Request, body: str, status: int = 200, csrf: str | None = None) -> Response:
    response = HTMLResponse(body, status, headers=PAGE_HEADERS)
    if csrf is not None and request.cookies.get(FORM_COOKIE) != csrf:
        response.set_cookie(FORM_COOKIE, csrf, httponly=True, samesite="strict",
                            secure=_secure(request), path=DASHBOARD_PREFIX)  # fmt: skip
    return response


def _signed_in(request: Request, ctx: AppContext, login: Login) -> Response:
    response = RedirectResponse(DASHBOARD_PREFIX, 303, headers=PAGE_HEADERS)
    max_age = int(ctx.settings.dashboard_session_hours * 3600)
    response.set_cookie(SESSION_COOKIE, login.session_id, max_age=max_age, httponly=True,
                        samesite="strict", secure=_secure(request),
                        path=DASHBOARD_PREFIX)  # fmt: skip
    return response


def _done(what: str, anchor: str) -> Response:
    return RedirectResponse(f"{DASHBOARD_PREFIX}?done={what}#{anchor}", 303, headers=PAGE_HEADERS)


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    csrf = _form_csrf(request, None)
    return _html(request, render("login.html", csrf_token=csrf, error=error), status, csrf)


# -- pages ------------------------------------------------------------------------------


async def dashboard(request: Request) -> Response:
    """`GET /dashboard`: the panels for a signed-in viewer; the login form for anyone else."""
    viewer = await _viewer(request)
    if viewer is None:
        if request.query_params.get("partial"):
            raise _signed_out()
        return _login_page(request)
    principal, login = viewer
    ctx = context(request)
    query = _board_query(request)
    board = await Board(ctx, _rankings(request)).page(principal, query)
    csrf = _form_csrf(request, login)
    values = {"board": board, "query": query, "operator": principal.is_operator,
              "session_csrf": csrf, "who": _describe(principal),
              "stale_minutes": int(STALE_AFTER.total_seconds() // 60),
              "notice": DONE.get(request.query_params.get("done", "")),
              "page_url": _pager(query)}  # fmt: skip
    template = "partial.html" if request.query_params.get("partial") else "board.html"
    return _html(request, render(template, **values), csrf=None if login else csrf)


def _board_query(request: Request) -> BoardQuery:
    params = request.query_params
    raw_page = params.get("page", "1").strip() or "1"
    if not (raw_page.isascii() and raw_page.isdigit()) or int(raw_page) < 1:
        raise CoordError(
            ErrorCode.VALIDATION_ERROR,
            f"invalid request: query.page: expected a page number (1, 2, ...), got {raw_page!r}",
            errors=[{"loc": ["query", "page"], "msg": "expected a positive integer",
                     "type": "int_parsing"}],
        )  # fmt: skip
    repo = params.get("repo") or None
    return BoardQuery(
        repo="" if repo == NO_REPO else repo,
        engineer=params.get("engineer") or None,
        page=min(int(raw_page), 1_000_000),
    )


def _pager(query: BoardQuery) -> object:
    def page_url(page: int) -> str:
        values = {"repo": NO_REPO if query.repo == "" else query.repo,
                  "engineer": query.engineer, "page": str(page)}  # fmt: skip
        kept = {name: value for name, value in values.items() if value}
        return f"{DASHBOARD_PREFIX}?{urlencode(kept)}#claims-h"

    return page_url


def _signed_out() -> CoordError:
    return CoordError(
        ErrorCode.UNAUTHORIZED,
        "not signed in to the dashboard (or the session expired): open /dashboard and sign in "
        "with a token.",
    )


# -- signing in and out -----------------------------------------------------------------


async def login(request: Request) -> Response:
    """`POST /dashboard/login` (form: token, csrf_token): open a session."""
    form = await _form(request)
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not same_secret(form.get("csrf_token", ""), expected):
        return _login_page(request, "The form expired or came from another site: sign in again.",
                           403)  # fmt: skip
    ctx = context(request)
    principal = await _token_principal(ctx, form.get("token", "").strip())
    if principal is None:
        return _login_page(request, REFUSED_LOGIN, 401)
    return _signed_in(request, ctx, await _sessions(ctx).open(principal))


async def login_link(request: Request) -> Response:
    """`POST /dashboard/login-links` (bearer): a one-time link that opens a session."""
    ctx = context(request)
    principal = principal_of(request)
    if ctx.settings.auth_token is not None and principal.kind == "anonymous":
        raise CoordError(
            ErrorCode.UNAUTHORIZED,
            "a login link is made for a token: send `Authorization: Bearer <token>` "
            "(COORD_AUTH_TOKEN or an engineer token).",
        )
    code, expires_at = await _sessions(ctx).login_code(principal)
    answer = DashboardLoginLink(path=f"{DASHBOARD_PREFIX}/login/{code}", expires_at=expires_at)
    return model_response(answer, 200, {"Cache-Control": "no-store"})


async def redeem(request: Request) -> Response:
    """`GET /dashboard/login/{code}`: trade a one-time code for a session, then show the page."""
    ctx = context(request)
    found = await _sessions(ctx).redeem(request.path_params["code"])
    if found is None:
        return _login_page(request, USED_LINK, 401)
    return _signed_in(request, ctx, found)


async def logout(request: Request) -> Response:
    """`POST /dashboard/logout`: end the session."""
    form = await _form(request)
    viewer = await _viewer(request)
    login_ = viewer[1] if viewer else None
    if login_ is None:
        return _done("signed-out", "main")
    _check_csrf(request, form, login_)
    await _sessions(context(request)).close(login_.session_id)
    response = _done("signed-out", "main")
    response.delete_cookie(SESSION_COOKIE, path=DASHBOARD_PREFIX, httponly=True,
                           samesite="strict", secure=_secure(request))  # fmt: skip
    return response


# -- operator forms ---------------------------------------------------------------------


async def _operator_form(request: Request, what: str) -> dict[str, str]:
    form = await _form(request)
    viewer = await _viewer(request)
    if viewer is None:
        raise _signed_out()
    principal, login_ = viewer
    _check_csrf(request, form, login_)
    principal.require_operator(what)
    return form


async def promote(request: Request) -> Response:
    """`POST /dashboard/promote` (form: action, pattern, repo): write the hotspot's rule."""
    form = await _operator_form(request, "promoting a hotspot (it edits owners.yaml)")
    raw_action, pattern = form.get("action", ""), form.get("pattern", "").strip()
    actions = {str(action) for action in PromoteAction}
    if raw_action not in actions or not pattern:
        raise CoordError(
            ErrorCode.BAD_REQUEST,
            f"promote needs action ({' or '.join(sorted(actions))}) and a pattern; got "
            f"action {raw_action!r}, pattern {pattern!r}. Use the Apply button of a hotspot.",
        )
    ctx = context(request)
    changed, _ = await ctx.hotspots.promote(
        PromoteAction(raw_action), pattern, None, form.get("repo") or None
    )
    return _done("promoted" if changed else "unchanged", "hotspots-h")


async def retry_delivery(request: Request) -> Response:
    """`POST /dashboard/webhooks/retry` (form: delivery_id): re-arm an exhausted delivery."""
    form = await _operator_form(request, "retrying webhook deliveries")
    delivery_id = form.get("delivery_id", "").strip()
    await context(request).outbox.retry(["exhausted"], [delivery_id] if delivery_id else None)
    return _done("retried", "webhooks-h")


# -- live updates and assets ------------------------------------------------------------


async def events(request: Request) -> Response:
    """`GET /dashboard/events`: "something changed" for the page (session or bearer auth)."""
    if await _viewer(request) is None:
        raise _signed_out()
    ctx = context(request)
    slot = ctx.live.reserve()
    return ReservedStream(_changes(ctx, slot), ctx.live, slot, headers=STREAM_HEADERS)


async def _changes(ctx: AppContext, slot: StreamSlot) -> AsyncIterator[str]:
    # The page re-reads its panels (as the viewer may see them) on any message, so a message
    # carries no detail of any repo, and the changes of one coalescing interval make one.
    with ctx.live.watch(slot) as watch:
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        with contextlib.suppress(BroadcasterClosedError):
            while True:
                if not await watch.wait(ctx.live.heartbeat_sec):
                    yield ": heartbeat\n\n"
                    continue
                yield "data: changed\n\n"
                await asyncio.sleep(COALESCE_SEC)  # what commits meanwhile makes one message


async def static(request: Request) -> Response:
    """`GET /dashboard/static/{name}`: the page's stylesheet and script."""
    name = request.path_params["name"]
    media = STATIC_FILES.get(name)
    if media is None:
        raise CoordError(
            ErrorCode.NOT_FOUND,
            f"no dashboard asset {name!r}; the page uses {', '.join(sorted(STATIC_FILES))}.",
        )
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(static_file(name), media_type=media, headers=headers)


def routes() -> list[Route]:
    """Starlette routes of this module."""
    return [
        Route(DASHBOARD_PREFIX, dashboard, methods=["GET"]),
        Route(f"{DASHBOARD_PREFIX}/login", login, methods=["POST"]),
        Route(LOGIN_LINKS_PATH, login_link, methods=["POST"]),
        Route(f"{DASHBOARD_PREFIX}/login/{{code}}", redeem, methods=["GET"]),
        Route(f"{DASHBOARD_PREFIX}/logout", logout, methods=["POST"]),
        Route(f"{DASHBOARD_PREFIX}/promote", promote, methods=["POST"]),
        Route(f"{DASHBOARD_PREFIX}/webhooks/retry", retry_delivery, methods=["POST"]),
        Route(f"{DASHBOARD_PREFIX}/events", events, methods=["GET"]),
        Route(f"{DASHBOARD_PREFIX}/static/{{name}}", static, methods=["GET"]),
    ]
