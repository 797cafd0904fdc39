"""The hooks' stdlib HTTP path: headers, JSON both ways, errors, and a closed keep-alive.

A small loopback server stands in for the service so that each test controls exactly what the
hook's client sees (an answer, an error body, a connection closed after one answer).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme

from coord_hooks._client import list_claims
from coord_hooks._http import HookClient
from coord_hooks._wire import claim_answer, claims_of
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.vocab import ScopeType

Answer = tuple[int, Any]
"""Status and JSON body (None: an empty non-JSON body) the fake service sends."""


@dataclass
class FakeService:
    """A loopback HTTP/1.1 server answering each request with `answer(request)`."""

    answer: Callable[[dict[str, Any]], Answer]
    close_after_each: bool = False
    tls: ssl.SSLContext | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    listener: socket.socket = field(default_factory=socket.socket)

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            try:
                self._converse(self.tls.wrap_socket(conn, server_side=True) if self.tls else conn)
            except (OSError, ValueError):
                conn.close()  # a client that refused our certificate, or hung up

    def _converse(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            while self._one(conn, reader) and not self.close_after_each:
                pass

    def _one(self, conn: socket.socket, reader: Any) -> bool:
        words = reader.readline().decode(errors="replace").split(" ")
        if len(words) != 3:
            return False  # the client closed, or is not speaking HTTP (a TLS handshake)
        method, target, _ = words
        headers = {}
        while (header := reader.readline().decode().strip()) != "":
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = reader.read(int(headers.get("content-length", "0")))
        request = {"method": method, "target": target, "headers": headers, "body": raw}
        self.requests.append(request)
        status, body = self.answer(request)
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(payload)}\r\n"
        conn.sendall((head + "Content-Type: application/json\r\n\r\n").encode() + payload)
        return True


@pytest.fixture
def fake() -> Iterator[Callable[..., FakeService]]:
    started: list[FakeService] = []

    def start(answer: Callable[[dict[str, Any]], Answer], **options: Any) -> FakeService:
        service = FakeService(answer, **options)
        service.listener.bind(("127.0.0.1", 0))
        service.listener.listen()
        threading.Thread(target=service.serve, daemon=True).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.listener.close()


def test_token_session_and_json_body_are_sent(fake: Callable[..., FakeService]) -> None:
    service = fake(lambda request: (200, {"ok": True}))

    with HookClient(service.url + "/coord/", "tok-123 ", "s-1") as client:
        answer = client.post("/claims", {"engineer": "alice"}, [("repo", "acme/web")])

    assert answer == {"ok": True}
    [request] = service.requests
    assert (request["method"], request["target"]) == ("POST", "/coord/claims?repo=acme%2Fweb")
    assert request["headers"]["authorization"] == "Bearer tok-123"
    assert request["headers"]["x-coord-session"] == "s-1"
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == {"engineer": "alice"}


def test_a_placeholder_token_is_never_sent(fake: Callable[..., FakeService]) -> None:
    service = fake(lambda request: (200, {}))

    with HookClient(service.url, "set-me") as client:
        client.get("/whoami")

    assert "authorization" not in service.requests[0]["headers"]


def test_calls_share_one_connection(fake: Callable[..., FakeService]) -> None:
    service = fake(lambda request: (200, {}))

    with HookClient(service.url, None) as client:
        client.get("/claims")
        client.get("/claims")

    assert (len(service.requests), service.connections) == (2, 1)


def test_a_connection_the_server_closed_is_reopened_once(fake: Callable[..., FakeService]) -> None:
    service = fake(lambda request: (200, {"path": request["target"]}), close_after_each=True)

    with HookClient(service.url, None) as client:
        answers = [client.get("/claims"), client.get("/whoami")]

    assert answers == [{"path": "/claims"}, {"path": "/whoami"}]
    assert service.connections == 2


def test_an_error_body_becomes_the_servers_coord_error(fake: Callable[..., FakeService]) -> None:
    body = {"detail": "token refused", "code": "unauthorized", "hint": "rotate"}
    service = fake(lambda request: (401, body))

    with HookClient(service.url, "tok") as client, pytest.raises(CoordError) as raised:
        client.get("/claims")

    assert raised.value.code is ErrorCode.UNAUTHORIZED
    assert raised.value.detail == "token refused"
    assert raised.value.extra == {"status": 401, "hint": "rotate"}


def test_an_answer_without_a_coord_body_says_so(fake: Callable[..., FakeService]) -> None:
    service = fake(lambda request: (502, None))

    with HookClient(service.url, None) as client, pytest.raises(CoordError) as raised:
        client.get("/claims")

    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert "GET /claims answered 502 without a coord error body" in raised.value.detail


def test_an_expected_non_200_status_is_an_answer(fake: Callable[..., FakeService]) -> None:
    service = fake(lambda request: (409, {"claim_ids": [], "conflicts": []}))

    with HookClient(service.url, None) as client:
        answer = client.post("/claims", {}, answers=(200, 409))

    assert answer == {"claim_ids": [], "conflicts": []}


def test_an_ipv6_loopback_url_without_a_port_is_dialled_on_port_80() -> None:
    client = HookClient("http://[::1]", None)

    connection = client._connect()

    assert (connection.host, connection.port) == ("::1", 80)


def test_a_service_nobody_runs_is_unavailable(dead_url: str) -> None:
    with HookClient(dead_url, None) as client, pytest.raises(CoordError) as raised:
        client.get("/claims")

    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert f"coord service at {dead_url} is unreachable" in raised.value.detail


@pytest.fixture
def authority() -> trustme.CA:
    """A certificate authority of the test alone."""
    return trustme.CA()


def tls_server(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_an_https_url_speaks_verified_tls(
    fake: Callable[..., FakeService], authority: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = fake(lambda request: (200, {"ok": True}), tls=tls_server(authority))
    with authority.cert_pem.tempfile() as bundle:
        monkeypatch.setenv("SSL_CERT_FILE", bundle)  # OpenSSL's default trust store

        with HookClient(service.url, "tok") as client:
            answer = client.get("/claims")

    assert service.url.startswith("https://")
    assert answer == {"ok": True}
    assert service.requests[0]["headers"]["authorization"] == "Bearer tok"


def test_an_untrusted_certificate_is_refused(
    fake: Callable[..., FakeService], authority: trustme.CA
) -> None:
    service = fake(lambda request: (200, {}), tls=tls_server(authority))

    with HookClient(service.url, "tok") as client, pytest.raises(CoordError) as raised:
        client.get("/claims")

    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert "CERTIFICATE_VERIFY_FAILED" in raised.value.detail
    assert service.requests == []  # the token never left


@pytest.mark.parametrize(
    "url",
    ["127.0.0.1:8080", "ftp://example.invalid", "http://", "http://host:port", "http://h:99999"],
)
def test_a_url_that_is_not_http_is_named(url: str) -> None:
    with pytest.raises(CoordError) as raised:
        HookClient(url, None)

    assert raised.value.code is ErrorCode.BAD_REQUEST
    assert repr(url) in raised.value.detail


def test_wire_views_read_the_fields_the_hooks_use() -> None:
    row = {
        "id": "clm_1", "engineer": "bob", "pattern": "src/a.py", "scope_type": "symbol",
        "symbols": ["A::b"], "expires_at": "2026-11-24T10:00:00Z", "repo": "acme/web",
        "description": None, "fence": 3, "unknown_later_field": 1,
    }  # fmt: skip

    [claim] = claims_of({"claims": [row], "count": 1})
    answer = claim_answer({"conflicts": [{"your_pattern": "/src/a.py", "conflicting_claim": row}]})

    assert (claim.scope_type, claim.symbols, claim.repo) == (
        ScopeType.SYMBOL,
        ("A::b",),
        "acme/web",
    )
    assert claim.expires_at.isoformat() == "2026-11-24T10:00:00+00:00"
    assert answer.claim_ids == ()
    assert answer.conflicts[0].conflicting_claim == claim


@pytest.mark.parametrize(
    "body",
    [[], {"claims": None}, {"claims": [{"id": "clm_1"}]}, {"claims": [{"id": 1}]}],
)
def test_a_body_the_hooks_cannot_read_is_an_internal_error(
    fake: Callable[..., FakeService], body: Any
) -> None:
    service = fake(lambda request: (200, body))

    with HookClient(service.url, None) as client, pytest.raises(CoordError) as raised:
        list_claims(client)

    assert raised.value.code is ErrorCode.INTERNAL
    assert "GET /claims returned a body this client cannot read" in raised.value.detail


def test_a_claim_listing_follows_its_pages(fake: Callable[..., FakeService]) -> None:
    def row(claim_id: str) -> dict[str, Any]:
        return {"id": claim_id, "engineer": "alex", "pattern": f"{claim_id}.ts", "fence": 1,
                "claim_type": "file", "expires_at": "2026-01-01T04:00:00Z"}  # fmt: skip

    def answer(request: dict[str, Any]) -> Answer:
        last = "cursor=p2" in request["target"]
        return 200, {"claims": [row("b" if last else "a")], "next_cursor": None if last else "p2"}

    service = fake(answer)
    with HookClient(service.url, None) as client:
        claims = list_claims(client, repo="acme/web")

    assert [claim.id for claim in claims] == ["a", "b"]
    assert service.requests[1]["target"] == "/claims?repo=acme%2Fweb&cursor=p2"
