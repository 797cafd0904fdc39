"""The authorization matrix (SPEC §13), generated from the app's route table.

Every route is called as each kind of caller: the operator, the engineer who owns the work, another
engineer, the owner with a token scoped to another repo, the owner's read-only token, a revoked
and an expired token, and no token at all. Each answer is checked against the expected status,
and after every refusal the stored state must be exactly what it was before the call. A route
added to the app without a row here fails the first test, so none can be forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from server_support import TOKEN, FakeClock, claim_body, eventually, make_git_repo, serve

from coord_server.app import create_app
from coord_server.context import AppContext
from coord_server.settings import Settings
from coord_server.storage import schema

pytestmark = pytest.mark.anyio

REPO = "acme/web"
CALLERS = ("operator", "owner", "other", "other_repo", "read_only", "revoked", "expired", "none")
UNAUTHENTICATED = {"revoked": 401, "expired": 401, "none": 401}

# Columns that authenticating writes on its own: not work state.
VOLATILE = {"api_tokens": {"last_used_at"}}


@pytest.fixture
def backend() -> str:
    """Authorization does not depend on the database: SQLite is enough here."""
    return "sqlite"


@dataclass
class World:
    """The app, a client, and one token per kind of caller."""

    client: httpx.AsyncClient
    ctx: AppContext
    clock: FakeClock
    tokens: dict[str, str | None] = field(default_factory=dict)
    waiters: list[asyncio.Task[httpx.Response]] = field(default_factory=list)
    served: set[tuple[str, str]] = field(default_factory=set)
    streams: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def headers(self, caller: str) -> dict[str, str]:
        token = self.tokens[caller]
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def as_operator(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        answer = await self.client.request(method, url, **kwargs)
        assert answer.status_code < 300, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def claim(self, engineer: str, pattern: str, caller: str = "owner") -> dict[str, Any]:
        """A claim in REPO made with `caller`'s token (the owner's: its session is alex's)."""
        body = claim_body(engineer, pattern, repo=REPO, session_id=f"s-{engineer}")
        answer = await self.client.post("/claims", json=body, headers=self.headers(caller))
        assert answer.status_code == 200, answer.text
        granted: dict[str, Any] = answer.json()["claims"][0]
        return granted

    async def release_request(self) -> str:
        """A pending request from sam to alex, about a fresh claim of alex's."""
        held = await self.claim("alex", _fresh("held"))
        filed = await self.as_operator(
            "POST", "/requests", json={"claim_id": held["id"], "requester": "sam", "reason": "x"}
        )
        return str(filed["id"])

    async def waiter(self) -> str:
        """A queue entry of alex's, parked behind a claim of sam's."""
        pattern = _fresh("busy")
        await self.claim("sam", pattern, caller="operator")
        body = claim_body("alex", pattern, repo=REPO, wait_seconds=60)
        self.waiters.append(
            asyncio.create_task(
                self.client.post("/claims", json=body, headers=self.headers("owner"))
            )
        )
        found: list[str] = []

        async def parked() -> bool:
            listed = await self.as_operator("GET", "/requests", params={"queued": "true"})
            found[:] = [
                e["queue_id"] for e in listed["requests"] if e["requester_engineer"] == "alex"
            ]
            return bool(found)

        await eventually(parked)
        return found[0]


_counter = iter(range(1_000_000))


def _fresh(stem: str) -> str:
    return f"src/{stem}{next(_counter)}.ts"


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    params: dict[str, str] | None = None
    form: dict[str, str] | None = None
    headers: dict[str, str] | None = None


Setup = Callable[[World], Awaitable[Call]]


@dataclass(frozen=True)
class Row:
    """How one route is called, and what each caller gets."""

    setup: Setup
    expect: dict[str, int]


def _statuses(ok: int, **special: int) -> dict[str, int]:
    """`ok` for the operator and the owner; 403 for the others unless said; 401 unauthenticated."""
    base = {"operator": ok, "owner": ok, "other": 403, "other_repo": 403, "read_only": 403}
    return {**base, **UNAUTHENTICATED, **special}


def public(ok: int = 200) -> dict[str, int]:
    return dict.fromkeys(CALLERS, ok)


def readable(ok: int = 200, **special: int) -> dict[str, int]:
    """Readable by every authenticated caller but a token for another repo."""
    return _statuses(ok, **{"other": ok, "read_only": ok, **special})


def own(ok: int = 200, **special: int) -> dict[str, int]:
    """The owner's work: the operator and the owner only."""
    return _statuses(ok, **special)


def operator_only(ok: int = 200) -> dict[str, int]:
    return _statuses(ok, owner=403)


def fixed(call: Call) -> Setup:
    async def setup(_world: World) -> Call:
        return call

    return setup


async def _release_one(world: World) -> Call:
    return Call("DELETE", f"/claims/{(await world.claim('alex', _fresh('one')))['id']}")


async def _release_many(world: World) -> Call:
    held = await world.claim("alex", _fresh("many"))
    return Call("POST", "/claims/release", json={"claim_ids": [held["id"]]})


async def _extend(world: World) -> Call:
    held = await world.claim("alex", _fresh("ext"))
    return Call("POST", f"/claims/{held['id']}/extend", json={"ttl_hours": 0.5})


async def _new_claim(_world: World) -> Call:
    return Call("POST", "/claims", json=claim_body("alex", _fresh("new"), repo=REPO))


async def _file_request(world: World) -> Call:
    held = await world.claim("sam", _fresh("theirs"), caller="operator")
    body = {"claim_id": held["id"], "requester": "alex", "reason": "need it"}
    return Call("POST", "/requests", json=body)


async def _read_request(world: World) -> Call:
    return Call("GET", f"/requests/{await world.release_request()}")


async def _request_timeline(world: World) -> Call:
    return Call("GET", f"/requests/{await world.release_request()}/events")


async def _respond(world: World) -> Call:
    request_id = await world.release_request()
    return Call("POST", f"/requests/{request_id}/respond", json={"decision": "denied"})


async def _cancel_waiter(world: World) -> Call:
    return Call("DELETE", f"/requests/{await world.waiter()}")


async def _session_release(world: World) -> Call:
    await world.claim("alex", _fresh("sess"))
    return Call("POST", "/sessions/s-alex/release", headers={"Content-Type": "application/json"})


async def _inbox(world: World) -> Call:
    await world.claim("alex", _fresh("inbox"))
    return Call("GET", "/sessions/s-alex/pending_requests")


async def _full_streams(world: World) -> Call:
    """Every stream slot taken: a caller let in gets 429 at once instead of an endless stream."""
    live = world.ctx.live
    while live.subscribers < live.max_streams:
        world.streams.enter_context(live.subscribe())
    return Call("GET", "/dashboard/events")


async def _register_checkout(_world: World) -> Call:
    checkout = make_git_repo(Path(tempfile.mkdtemp()), {"README.md": "hello\n"})
    return Call("PUT", "/admin/checkouts", json={"repo": REPO, "path": str(checkout)})


async def _rotate(world: World) -> Call:
    made = await world.as_operator("POST", "/admin/tokens", json={"engineer": "zed"})
    return Call("POST", f"/admin/tokens/{made['id']}/rotate")


async def _revoke(world: World) -> Call:
    made = await world.as_operator("POST", "/admin/tokens", json={"engineer": "zed"})
    return Call("DELETE", f"/admin/tokens/{made['id']}")


JSON = {"Content-Type": "application/json"}
YAML = {"Content-Type": "application/yaml"}
IN_REPO = {"repo": REPO}

MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/health"): Row(fixed(Call("GET", "/health")), public()),
    ("GET", "/readyz"): Row(fixed(Call("GET", "/readyz")), public()),
    ("GET", "/meta"): Row(fixed(Call("GET", "/meta")), public()),
    ("GET", "/openapi.json"): Row(fixed(Call("GET", "/openapi.json")), public()),
    ("GET", "/whoami"): Row(fixed(Call("GET", "/whoami")), readable(other_repo=200)),
    # Aggregate counters for a scraper, as /health is for a load balancer.
    ("GET", "/metrics"): Row(fixed(Call("GET", "/metrics")), public()),
    ("GET", "/repos"): Row(fixed(Call("GET", "/repos")), readable(other_repo=200)),
    ("GET", "/claims"): Row(fixed(Call("GET", "/claims", params=IN_REPO)), readable()),
    ("POST", "/claims"): Row(_new_claim, own()),
    ("POST", "/claims/release"): Row(_release_many, own()),
    ("DELETE", "/claims/{claim_id}"): Row(_release_one, own()),
    ("POST", "/claims/{claim_id}/extend"): Row(_extend, own()),
    ("GET", "/conflicts"): Row(
        fixed(
            Call(
                "GET",
                "/conflicts",
                params={"pattern": "src/x.ts", "engineer": "alex", "repo": REPO},
            )
        ),
        readable(other=403),
    ),
    ("POST", "/conflicts/batch"): Row(
        fixed(
            Call(
                "POST",
                "/conflicts/batch",
                json={"patterns": ["src/x.ts"], "engineer": "alex", "repo": REPO},
            )
        ),
        readable(other=403),
    ),
    ("POST", "/fences/check"): Row(
        # A question, like /conflicts/batch: read-only tokens may ask it about their own work.
        fixed(
            Call(
                "POST",
                "/fences/check",
                json={"entries": [{"path": "src/x.ts"}], "engineer": "alex", "repo": REPO},
            )
        ),
        readable(other=403),
    ),
    ("POST", "/adherence/reports"): Row(
        # What a check saw of the caller's own work: a CI job's read-only token may report it.
        fixed(
            Call(
                "POST",
                "/adherence/reports",
                json={
                    "source": "reconcile",
                    "undeclared": ["src/x.ts"],
                    "engineer": "alex",
                    "repo": REPO,
                },
            )
        ),
        readable(other=403),
    ),
    ("GET", "/metrics/adherence"): Row(
        fixed(Call("GET", "/metrics/adherence", params=IN_REPO)), readable()
    ),
    ("POST", "/sessions/{session_id}/release"): Row(_session_release, own(other_repo=200)),
    ("GET", "/sessions/{session_id}/pending_requests"): Row(
        _inbox, own(other_repo=200, read_only=200)
    ),
    ("GET", "/events"): Row(
        # A bad resume point answers 422 once the caller is let in: the stream is never opened.
        fixed(Call("GET", "/events", params={"repo": REPO, "last_event_id": "x"})),
        readable(422),
    ),
    ("POST", "/requests"): Row(_file_request, own(201)),
    ("GET", "/requests"): Row(fixed(Call("GET", "/requests", params=IN_REPO)), readable()),
    ("GET", "/requests/{request_id}"): Row(_read_request, readable()),
    ("DELETE", "/requests/{request_id}"): Row(_cancel_waiter, own()),
    ("GET", "/requests/{request_id}/events"): Row(_request_timeline, readable()),
    ("POST", "/requests/{request_id}/respond"): Row(_respond, own()),
    ("GET", "/config/ownership"): Row(fixed(Call("GET", "/config/ownership")), operator_only(204)),
    ("POST", "/config/ownership"): Row(
        fixed(Call("POST", "/config/ownership", json=None, headers=YAML)), operator_only()
    ),
    ("GET", "/metrics/hotspots"): Row(
        fixed(Call("GET", "/metrics/hotspots", params=IN_REPO)), readable()
    ),
    ("POST", "/metrics/hotspots/promote"): Row(
        fixed(
            Call(
                "POST",
                "/metrics/hotspots/promote",
                json={"action": "shared_file", "pattern": "src/hot.ts", "repo": REPO},
            )
        ),
        operator_only(),
    ),
    ("GET", "/metrics/auto-resolutions"): Row(
        fixed(Call("GET", "/metrics/auto-resolutions", params=IN_REPO)), readable()
    ),
    ("GET", "/admin/outbox/stats"): Row(fixed(Call("GET", "/admin/outbox/stats")), operator_only()),
    ("GET", "/admin/outbox/tail"): Row(fixed(Call("GET", "/admin/outbox/tail")), operator_only()),
    ("POST", "/admin/outbox/retry"): Row(
        fixed(Call("POST", "/admin/outbox/retry", json={})), operator_only()
    ),
    ("POST", "/admin/outbox/purge"): Row(
        fixed(Call("POST", "/admin/outbox/purge", json={})), operator_only()
    ),
    ("POST", "/admin/tokens"): Row(
        fixed(Call("POST", "/admin/tokens", json={"engineer": "zed"})), operator_only(201)
    ),
    ("GET", "/admin/tokens"): Row(fixed(Call("GET", "/admin/tokens")), operator_only()),
    ("POST", "/admin/tokens/{token_id}/rotate"): Row(_rotate, operator_only()),
    ("DELETE", "/admin/tokens/{token_id}"): Row(_revoke, operator_only()),
    ("GET", "/admin/checkouts"): Row(fixed(Call("GET", "/admin/checkouts")), operator_only()),
    ("PUT", "/admin/checkouts"): Row(_register_checkout, operator_only()),
    # The dashboard: a page for browsers that signs in with a session, or takes a bearer token.
    ("GET", "/dashboard"): Row(fixed(Call("GET", "/dashboard")), public()),
    ("GET", "/dashboard/static/{name}"): Row(
        fixed(Call("GET", "/dashboard/static/dashboard.css")), public()
    ),
    ("POST", "/dashboard/login"): Row(
        # Without the form's CSRF token (the login page sets one) nobody gets in.
        fixed(Call("POST", "/dashboard/login", form={"token": "not-a-token"})),
        public(403),
    ),
    ("POST", "/dashboard/login-links"): Row(
        # A link signs a browser in as the caller's own token, whatever that token may do.
        fixed(Call("POST", "/dashboard/login-links", json={})),
        readable(other_repo=200),
    ),
    ("GET", "/dashboard/login/{code}"): Row(
        fixed(Call("GET", "/dashboard/login/nosuchcode")), public(401)
    ),
    ("POST", "/dashboard/logout"): Row(
        # Without a session there is nothing to end: back to the login page.
        fixed(Call("POST", "/dashboard/logout", form={"csrf": "forged"})),
        public(303),
    ),
    ("POST", "/dashboard/promote"): Row(
        # The operator is let in (and told the form lacks its action); nobody else is.
        fixed(Call("POST", "/dashboard/promote", form={"pattern": "src/hot.ts"})),
        operator_only(400),
    ),
    ("POST", "/dashboard/webhooks/retry"): Row(
        fixed(Call("POST", "/dashboard/webhooks/retry", form={"id": "1"})), operator_only(303)
    ),
    ("GET", "/dashboard/events"): Row(_full_streams, readable(429, other_repo=429)),
    ("POST", "/mcp"): Row(
        # Let in, the MCP transport answers a body that is no JSON-RPC message with a 4xx of
        # its own; a read-only token cannot use the tools (they change state). The Host is a
        # loopback name: /mcp refuses others (DNS-rebinding protection).
        fixed(
            Call(
                "POST", "/mcp", json={}, headers={"Accept": "application/json", "Host": "localhost"}
            )
        ),
        readable(400, other_repo=400, read_only=403),
    ),
}


def app_routes(ctx_app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD rides along with GET)."""
    found = set()
    for route in ctx_app.routes:
        methods = getattr(route, "methods", None) or {"POST"}
        for method in methods - {"HEAD"}:
            found.add((method, route.path))
    return found


@pytest.fixture
async def world(make_settings: Callable[..., Settings]) -> AsyncIterator[World]:
    clock = FakeClock()
    app = create_app(make_settings(disable_background_cleanup=True), clock=clock)
    async with serve(app) as client:
        world = World(client, app.state.coord, clock)
        await _make_tokens(world)
        world.served = app_routes(app)
        yield world
        for task in world.waiters:
            task.cancel()
        world.streams.close()


async def _make_tokens(world: World) -> None:
    async def token(**body: Any) -> tuple[str, str]:
        made = await world.as_operator("POST", "/admin/tokens", json=body)
        return str(made["id"]), str(made["token"])

    world.tokens["operator"] = TOKEN
    world.tokens["none"] = None
    world.tokens["owner"] = (await token(engineer="alex", repo=REPO))[1]
    world.tokens["other"] = (await token(engineer="sam"))[1]
    world.tokens["other_repo"] = (await token(engineer="alex", repo="acme/api"))[1]
    world.tokens["read_only"] = (await token(engineer="alex", repo=REPO, read_only=True))[1]
    revoked_id, world.tokens["revoked"] = await token(engineer="alex")
    await world.as_operator("DELETE", f"/admin/tokens/{revoked_id}")
    world.tokens["expired"] = (await token(engineer="alex", expires_in_seconds=60))[1]
    world.clock.advance(seconds=61)


async def snapshot(ctx: AppContext) -> dict[str, list[str]]:
    """Every stored row, minus what authenticating and heartbeats write on their own."""
    state = {}
    for table in schema.metadata.sorted_tables:
        skip = VOLATILE.get(table.name, set())
        rows = await ctx.store.db.read(sa.select(table))
        state[table.name] = sorted(
            repr({k: v for k, v in r.items() if k not in skip}) for r in rows
        )
    return state


async def call(world: World, caller: str, spec: Call) -> httpx.Response:
    headers = {**(spec.headers or {}), **world.headers(caller)}
    if caller == "none":
        headers["Authorization"] = ""
    kwargs: dict[str, Any] = {"params": spec.params, "headers": headers}
    if spec.json is not None:
        kwargs["json"] = spec.json
    elif spec.form is not None:
        kwargs["data"] = spec.form
    elif spec.headers == YAML:
        kwargs["content"] = b"shared_files: [package-lock.json]\n"
    return await world.client.request(spec.method, spec.url, **kwargs)


async def test_every_route_has_a_row(world: World) -> None:
    served = world.served
    assert served - set(MATRIX) == set(), "add these routes to the authorization matrix"
    assert set(MATRIX) - served == set(), "these rows name routes the app no longer serves"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_route_answers_each_caller_as_expected(world: World, route: tuple[str, str]) -> None:
    row = MATRIX[route]
    seen: dict[str, int] = {}
    for caller in CALLERS:
        spec = await row.setup(world)
        before = await snapshot(world.ctx) if row.expect[caller] >= 400 else None
        answer = await call(world, caller, spec)
        seen[caller] = answer.status_code
        if before is not None and answer.status_code in (401, 403):
            assert await snapshot(world.ctx) == before, f"{caller}'s refused call changed state"
    assert seen == row.expect, f"{route}: {seen}"
