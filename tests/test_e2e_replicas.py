"""Three `coord-api` replicas on one PostgreSQL database decide as one service (SPEC §14).

Each test gets a fresh database and starts real replica processes on it. The database is the
arbiter: racing clients spread over the replicas never see two overlapping exclusive claims
active together and fences stay unique and ordered; a waiter parked on one replica is granted
by a release on another or by the leader's expiry; and when the leader is killed outright,
another replica takes the background work over (expiry, webhook delivery) without losing an
answer already given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from coord_e2e import CoordApi, CoordApiFactory, wait_until
from coord_race import (
    CLIENTS,
    SteadyLoad,
    collisions,
    fences_follow_grants,
    read_postgres_history,
    run_race,
    unexpected,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPLICAS = 3
TAKEOVER_SEC = 20.0
"""Generous bound for another replica to lead after a kill (the lease is retried every second)."""

SHORT_TTL_HOURS = 0.0005
"""1.8 seconds: a claim that expires while the test watches."""


@dataclass
class WebhookReceiver:
    """A loopback HTTP server that keeps every delivery it is sent."""

    url: str
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        """Deliveries of one event type, in arrival order."""
        with self.lock:
            return [d for d in self.deliveries if d["type"] == event_type]


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A receiver answering 200 to every delivery, stopped after the test."""
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                received.append({
                    "type": self.headers["X-Coord-Event-Type"],
                    "delivery_id": self.headers["X-Coord-Delivery-Id"],
                    "body": json.loads(body),
                })  # fmt: skip
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the deliveries, not a log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver = WebhookReceiver(f"http://127.0.0.1:{server.server_address[1]}/hook", received, lock)
    yield receiver
    server.shutdown()
    server.server_close()


def start_replicas(
    factory: CoordApiFactory, url: str, count: int = REPLICAS, **env: str
) -> list[CoordApi]:
    """`count` replicas on the database at `url`, with fast background cadences."""
    settings = {
        "COORD_DATABASE_URL": url,
        "COORD_WEBHOOK_DELIVERY_INTERVAL_SEC": "0.5",
        "COORD_WEBHOOK_RETRY_BACKOFF_SEC": "1",
        **env,
    }
    return [factory.start(env=settings) for _ in range(count)]


def meta(replica: CoordApi) -> dict[str, Any]:
    """`GET /meta` of one replica."""
    with replica.client() as client:
        answer: dict[str, Any] = client.get("/meta").json()
        return answer


def leaders(replicas: list[CoordApi]) -> list[CoordApi]:
    """The running replicas that say they lead the background work."""
    return [r for r in replicas if r.is_running() and meta(r)["leader"]]


def claim(replica: CoordApi, engineer: str, pattern: str, **extra: Any) -> httpx.Response:
    """POST /claims of one file pattern in repo acme/shop on `replica`."""
    body = {"engineer": engineer, "repo": "acme/shop", "claims": [{"pattern": pattern}], **extra}
    with replica.client(timeout=60) as client:
        return client.post("/claims", json=body)


def queued(replica: CoordApi) -> int:
    """How many claim requests wait in the queue, as `replica` reads the database."""
    with replica.client() as client:
        answer = client.get("/requests", params={"queued": "true", "all_repos": "true"})
        return int(answer.json()["count"])


def active_ids(replica: CoordApi) -> set[str]:
    """Ids of the active claims of every repo, as `replica` reads them."""
    with replica.client() as client:
        answer = client.get("/claims", params={"all_repos": "true"}).json()
        return {row["id"] for row in answer["claims"]}


class Waiter(threading.Thread):
    """A claim request with `wait_seconds`, sent from its own thread; `.response` when done."""

    def __init__(self, replica: CoordApi, engineer: str, pattern: str) -> None:
        super().__init__(daemon=True)
        self.args_ = (replica, engineer, pattern)
        self.response: httpx.Response | None = None

    def run(self) -> None:
        self.response = claim(*self.args_, wait_seconds=60)

    def answer(self) -> httpx.Response:
        """The response, once the request ended (fails if it never does)."""
        self.join(90)
        assert self.response is not None, "the waiting claim request never ended"
        return self.response


def test_racing_clients_on_three_replicas_never_double_grant(
    coord_api_factory: CoordApiFactory, postgres_url: str
) -> None:
    replicas = start_replicas(coord_api_factory, postgres_url)

    logs = run_race([(r.base_url, r.auth_headers()) for r in replicas], clients=CLIENTS)
    history = read_postgres_history(postgres_url)

    assert unexpected(logs) == []
    assert collisions(history) == []
    assert fences_follow_grants(history)
    assert any(row.symbols for row in history) and any(row.shared for row in history)
    assert {row.id for row in history} == {i for log in logs for i in log.granted_ids}
    # The race really raced (a loaded machine serves few rounds in the race's seconds).
    assert sum(log.contended.get(200, 0) for log in logs) > REPLICAS
    assert sum(log.contended.get(409, 0) for log in logs) > REPLICAS
    assert all(active_ids(r) == set() for r in replicas), "every replica sees every release"


def test_a_release_on_one_replica_grants_the_waiter_parked_on_another(
    coord_api_factory: CoordApiFactory, postgres_url: str
) -> None:
    first, second, third = start_replicas(coord_api_factory, postgres_url)
    held = claim(first, "alex", "src/a.ts").json()["claim_ids"]
    waiter = Waiter(second, "sam", "src/a.ts")
    waiter.start()
    wait_until(lambda: queued(third) == 1, 20, "the waiter's queue entry")

    with third.client() as client:
        assert client.post("/claims/release", json={"claim_ids": held}).status_code == 200

    granted = waiter.answer()
    assert granted.status_code == 200, granted.text
    assert active_ids(first) == set(granted.json()["claim_ids"])
    assert queued(first) == 0


def test_the_leaders_expiry_grants_a_waiter_parked_elsewhere(
    coord_api_factory: CoordApiFactory, postgres_url: str
) -> None:
    replicas = start_replicas(coord_api_factory, postgres_url)
    wait_until(lambda: len(leaders(replicas)) == 1, TAKEOVER_SEC, "one replica leading")
    followers = [r for r in replicas if r not in leaders(replicas)]
    short = claim(followers[0], "alex", "src/b.ts", ttl_hours=SHORT_TTL_HOURS)
    assert short.status_code == 200, short.text
    waiter = Waiter(followers[1], "sam", "src/b.ts")
    waiter.start()

    granted = waiter.answer()

    assert granted.status_code == 200, granted.text
    assert active_ids(followers[0]) == set(granted.json()["claim_ids"])


def test_killing_the_leader_moves_expiry_and_delivery_to_another_replica(
    coord_api_factory: CoordApiFactory, postgres_url: str, webhook_receiver: WebhookReceiver
) -> None:
    replicas = start_replicas(
        coord_api_factory, postgres_url, COORD_WEBHOOK_URL=webhook_receiver.url
    )
    wait_until(lambda: len(leaders(replicas)) == 1, TAKEOVER_SEC, "one replica leading")
    (leader,) = leaders(replicas)
    survivors = [r for r in replicas if r is not leader]
    load = SteadyLoad([(r.base_url, r.auth_headers()) for r in replicas], repo="acme/shop")
    load.start()
    load.wait_rounds(REPLICAS * 3)
    doomed = claim(survivors[0], "alex", "src/c.ts", ttl_hours=SHORT_TTL_HOURS)
    assert doomed.status_code == 200, doomed.text
    doomed_id = doomed.json()["claim_ids"][0]

    leader.kill()
    load.wait_rounds(REPLICAS * 3)
    wait_until(lambda: len(leaders(survivors)) == 1, TAKEOVER_SEC, "a survivor taking the lease")
    load.stop()

    wait_until(lambda: doomed_id not in active_ids(survivors[1]), 30, "expiry of the short claim")
    assert set(load.granted) <= active_ids(survivors[1]), "no answered grant is lost"
    assert load.unanswered > 0, "the load really ran into the killed replica"
    wait_until(lambda: _delivered(webhook_receiver, "claim_expired", doomed_id), 30,
               "the claim_expired webhook")  # fmt: skip
    wait_until(lambda: all(_delivered(webhook_receiver, "claim_granted", c) for c in load.granted),
               30, "a claim_granted webhook for every grant")  # fmt: skip


def _delivered(receiver: WebhookReceiver, event_type: str, claim_id: str) -> bool:
    return any(claim_id in json.dumps(d["body"]) for d in receiver.of_type(event_type))
