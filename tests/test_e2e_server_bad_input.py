"""Bad input never gets a 5xx, and the server keeps serving afterwards.

Most cases run in-process (the app behind Starlette's test client, with its lifespan, on a
temporary database); the last test sends the nastiest of them to the real `coord-api` process,
including what only a real HTTP server sees (a garbage request line, a client that hangs up in
the middle of its body), and then checks that the process is alive, answering, and counted no
5xx in its metrics.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from coord_server.app import create_app
from coord_server.settings import load_settings

TOKEN = "bad-input-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = "application/json"
TEN_MB = 10 * 1024 * 1024
DEEP = 10_000

JSON_ROUTES = ("/claims", "/claims/release", "/claims/clm_missing/extend", "/conflicts/batch")
"""Every route that reads a JSON body."""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app, started (lifespan run) on a fresh database; shared by this module's tests."""
    database = tmp_path_factory.mktemp("bad-input") / "coord.db"
    with pytest.MonkeyPatch.context() as env:
        for name in [name for name in os.environ if name.startswith("COORD_")]:
            env.delenv(name)
        app_settings = load_settings(auth_token=TOKEN, database_path=database)
    app = create_app(app_settings)
    with TestClient(app, raise_server_exceptions=False, headers=AUTH) as test_client:
        yield test_client


def post_raw(client: TestClient, path: str, content: Any, content_type: str = JSON) -> Any:
    """POST `content` (bytes, or an iterator of chunks: sent chunked) as it is."""
    return client.post(path, content=content, headers={"Content-Type": content_type})


def claim_body(pattern: str, **fields: Any) -> dict[str, Any]:
    """A `POST /claims` body for one file claim."""
    return {"engineer": "tester/bot/main", "claims": [{"pattern": pattern}], **fields}


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """`response` is the JSON error `status` (with `code`); returns its body."""
    assert response.status_code == status, response.text[:500]
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def assert_still_serving(client: TestClient) -> None:
    """The app answers health checks and still grants, lists and releases a claim."""
    assert client.get("/health").status_code == 200
    pattern = f"probe/{uuid.uuid4().hex}.txt"
    granted = client.post("/claims", json=claim_body(pattern))
    assert granted.status_code == 200, granted.text
    (claim_id,) = granted.json()["claim_ids"]
    assert claim_id in {row["id"] for row in client.get("/claims").json()["claims"]}
    assert client.delete(f"/claims/{claim_id}").json()["released"] == 1


# -- SPEC §3 pattern rejections ----------------------------------------------------------------

REJECTED_PATTERNS = [
    pytest.param("   ", "empty", id="whitespace-only"),
    pytest.param("!src/a.ts", "negation", id="negation"),
    pytest.param("a/../b", "dotdot", id="dotdot"),
    pytest.param("src/a\x00.ts", "control_char", id="nul"),
    pytest.param("src/a\x1b.ts", "control_char", id="escape"),
    pytest.param("src/a\n.ts", "control_char", id="newline"),
    pytest.param("a" * 1025, "too_long", id="1025-chars"),
    pytest.param("/".join(["d"] * 65), "too_many_segments", id="65-segments"),
    pytest.param("src/[ab.ts", "unterminated_class", id="unterminated-class"),
]


def _check_pattern(client: TestClient, route: str, pattern: str) -> Any:
    if route == "POST /claims":
        return client.post("/claims", json=claim_body(pattern))
    if route == "POST /conflicts/batch":
        return client.post("/conflicts/batch", json={"patterns": [pattern], "engineer": "t"})
    return client.get("/conflicts", params={"pattern": pattern, "engineer": "t"})


@pytest.mark.parametrize("route", ["POST /claims", "POST /conflicts/batch", "GET /conflicts"])
@pytest.mark.parametrize(("pattern", "rule"), REJECTED_PATTERNS)
def test_spec_rejections_answer_400_naming_pattern_and_rule(
    client: TestClient, route: str, pattern: str, rule: str
) -> None:
    body = assert_error(_check_pattern(client, route, pattern), 400, "invalid_pattern")

    assert body["rule"] == rule
    assert body["pattern"] == pattern
    assert f"({rule})" in body["detail"]
    assert_still_serving(client)


@pytest.mark.parametrize(
    "route",
    [
        "POST /claims",
        "POST /conflicts/batch",
        "GET /conflicts",
    ],
)
def test_empty_pattern_answers_400_naming_the_rule(client: TestClient, route: str) -> None:
    body = assert_error(_check_pattern(client, route, ""), 400, "invalid_pattern")

    assert body["rule"] == "empty"


# -- schema violations: 422 with locations -------------------------------------------------------

WRONG_TYPES = [
    pytest.param({"engineer": 5, "claims": [{"pattern": "a"}]}, ["body", "engineer"], id="int"),
    pytest.param({"engineer": "e", "claims": "src/a.ts"}, ["body", "claims"], id="str-list"),
    pytest.param(
        claim_body("a") | {"claims": [{"pattern": ["a"]}]},
        ["body", "claims", 0, "pattern"],
        id="list-str",
    ),
    pytest.param(claim_body("a", ttl_hours="soon"), ["body", "ttl_hours"], id="ttl-text"),
    pytest.param(claim_body("a", wait_seconds=1.5), ["body", "wait_seconds"], id="wait-float"),
    pytest.param(claim_body("a", urgency="whenever"), ["body", "urgency"], id="urgency"),
    pytest.param(claim_body("a", repo="../etc"), ["body", "repo"], id="repo"),
    pytest.param(claim_body("a", session_id="has space"), ["body", "session_id"], id="session"),
    pytest.param(
        {"engineer": "e", "claims": [{"pattern": "a", "narrowable": "maybe"}]},
        ["body", "claims", 0, "narrowable"],
        id="narrowable",
    ),
    pytest.param(
        {"engineer": "e", "claims": [{"pattern": "a", "type": "folder"}]},
        ["body", "claims", 0, "type"],
        id="type",
    ),
    pytest.param({"engineer": "e", "claims": []}, ["body", "claims"], id="no-items"),
    pytest.param([claim_body("a")], ["body"], id="array"),
    pytest.param("claim please", ["body"], id="string"),
    pytest.param(None, ["body"], id="null"),
]


@pytest.mark.parametrize(("body", "location"), WRONG_TYPES)
def test_wrong_types_answer_422_with_the_location(
    client: TestClient, body: Any, location: list[Any]
) -> None:
    response = post_raw(client, "/claims", json.dumps(body).encode())

    answer = assert_error(response, 422, "validation_error")
    assert location in [error["loc"] for error in answer["errors"]]
    assert_still_serving(client)


HUGE_OR_NOT_A_NUMBER = [
    pytest.param("/claims", b'"ttl_hours": 1e308', "ttl_hours", id="ttl-1e308"),
    pytest.param("/claims", b'"ttl_hours": -1e308', "ttl_hours", id="ttl-minus-1e308"),
    pytest.param("/claims", b'"ttl_hours": 1e-400', "ttl_hours", id="ttl-underflow"),
    pytest.param("/claims", b'"ttl_hours": 1e999', "ttl_hours", id="ttl-overflow"),
    pytest.param("/claims", b'"ttl_hours": NaN', "ttl_hours", id="ttl-nan"),
    pytest.param("/claims", b'"ttl_hours": Infinity', "ttl_hours", id="ttl-infinity"),
    pytest.param("/claims", b'"ttl_hours": -Infinity', "ttl_hours", id="ttl-minus-infinity"),
    pytest.param(
        "/claims", b'"wait_seconds": ' + str(10**30).encode(), "wait_seconds", id="wait-10e30"
    ),
    pytest.param(
        "/claims",
        b'"wait_seconds": -' + str(10**30).encode(),
        "wait_seconds",
        id="wait-minus-10e30",
    ),
    pytest.param("/claims", b'"wait_seconds": NaN', "wait_seconds", id="wait-nan"),
    pytest.param("/claims/clm_x/extend", b'"ttl_hours": 1e308', "ttl_hours", id="extend-1e308"),
    pytest.param("/claims/clm_x/extend", b'"ttl_hours": NaN', "ttl_hours", id="extend-nan"),
]


@pytest.mark.parametrize(("path", "member", "field"), HUGE_OR_NOT_A_NUMBER)
def test_huge_and_non_finite_numbers_answer_422(
    client: TestClient, path: str, member: bytes, field: str
) -> None:
    claims = b'"claims": [{"pattern": "n.txt"}], ' if path == "/claims" else b""
    raw = b'{"engineer": "e", ' + claims + member + b"}"

    answer = assert_error(post_raw(client, path, raw), 422, "validation_error")

    assert ["body", field] in [error["loc"] for error in answer["errors"]]
    assert_still_serving(client)


def test_huge_query_numbers_answer_422(client: TestClient) -> None:
    response = client.get("/claims", params={"limit": str(10**30)})

    answer = assert_error(response, 422, "validation_error")
    assert ["query", "limit"] in [error["loc"] for error in answer["errors"]]


@pytest.mark.parametrize(
    ("path", "body", "location"),
    [
        ("/claims", claim_body("u.txt", colour="red"), ["body", "colour"]),
        (
            "/claims",
            {"engineer": "e", "claims": [{"pattern": "u", "path": "u"}]},
            ["body", "claims", 0, "path"],
        ),
        ("/claims/release", {"claim_ids": ["x"], "ids": ["x"]}, ["body", "ids"]),
        ("/claims/clm_x/extend", {"engineer": "e", "ttl_hours": 1, "ttl": 2}, ["body", "ttl"]),
        (
            "/conflicts/batch",
            {"patterns": ["a"], "engineer": "e", "pattern": "a"},
            ["body", "pattern"],
        ),
    ],
)
def test_unknown_fields_answer_422_with_their_location(
    client: TestClient, path: str, body: dict[str, Any], location: list[Any]
) -> None:
    answer = assert_error(client.post(path, json=body), 422, "validation_error")

    unknown = [error["loc"] for error in answer["errors"] if error["type"] == "extra_forbidden"]
    assert unknown == [location]
    assert ".".join(str(part) for part in location) in answer["detail"]


# -- bodies that are not what they claim -----------------------------------------------------------


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_ten_megabyte_bodies_answer_413(client: TestClient, path: str) -> None:
    declared = post_raw(client, path, b" " * TEN_MB)
    chunked = post_raw(client, path, _chunks(TEN_MB))

    assert_error(declared, 413, "payload_too_large")
    assert_error(chunked, 413, "payload_too_large")
    assert_still_serving(client)


NOT_JSON = [
    pytest.param(b"[" * DEEP + b"]" * DEEP, id="deep-arrays"),
    pytest.param(b'{"a":' * DEEP + b"1" + b"}" * DEEP, id="deep-objects"),
    pytest.param(b"claims please", id="prose"),
    pytest.param(b"engineer=e&pattern=a", id="form"),
    pytest.param(b'{"engineer": "e", "claims": [', id="truncated"),
    pytest.param(b"\xff\xfe{\x00}", id="invalid-utf8"),
    pytest.param(b'{"engineer": "\xc3\x28", "claims": [{"pattern": "a"}]}', id="invalid-utf8-str"),
    pytest.param(b'{"engineer": "\\ud800", "claims": [{"pattern": "a"}]}', id="lone-surrogate"),
    pytest.param(b"\x00" * 64, id="nul-bytes"),
]


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("raw", NOT_JSON)
def test_bodies_that_are_not_json_answer_400(client: TestClient, path: str, raw: bytes) -> None:
    answer = assert_error(post_raw(client, path, raw), 400, "bad_request")

    assert "JSON" in answer["detail"]


@pytest.mark.parametrize("raw", [b"", b"   \n"])
def test_empty_bodies_answer_400(client: TestClient, raw: bytes) -> None:
    assert_error(post_raw(client, "/claims", raw), 400, "bad_request")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "application/octet-stream",
        "",
    ],
)
def test_any_content_type_is_read_as_json_or_refused_cleanly(
    client: TestClient, content_type: str
) -> None:
    pattern = f"ct/{uuid.uuid4().hex}.txt"
    valid = post_raw(client, "/claims", json.dumps(claim_body(pattern)).encode(), content_type)
    form = post_raw(client, "/claims", b"engineer=e&claims=a", content_type)

    assert valid.status_code in {200, 415}, valid.text
    assert_error(form, 400 if valid.status_code == 200 else 415)
    assert_still_serving(client)


# -- NUL bytes in every string field -------------------------------------------------------------

NUL = "\x00"
NUL_FIELDS: list[Any] = [
    # Free text refuses every control character (tests/test_e2e_hostile_text.py has the rest).
    pytest.param({"engineer": f"nul{NUL}engineer"}, {400}, id="engineer"),
    pytest.param({"branch": f"main{NUL}"}, {400}, id="branch"),
    pytest.param({"description": f"fix{NUL}bug"}, {400}, id="description"),
    pytest.param({"claims": [{"pattern": f"x{NUL}.ts"}]}, {400}, id="pattern"),
    pytest.param({"claims": [{"pattern": "s.ts", "symbols": [f"f{NUL}"]}]}, {400}, id="symbol"),
    pytest.param({"claims": [{"pattern": "t.ts", "type": f"file{NUL}"}]}, {422}, id="type"),
    pytest.param({"repo": f"acme/web{NUL}"}, {422}, id="repo"),
    pytest.param({"session_id": f"s{NUL}1"}, {422}, id="session"),
    pytest.param({"urgency": f"high{NUL}"}, {422}, id="urgency"),
]


@pytest.mark.parametrize(("fields", "statuses"), NUL_FIELDS)
def test_nul_bytes_in_claim_fields_are_refused_or_kept_intact(
    client: TestClient, fields: dict[str, Any], statuses: set[int]
) -> None:
    body = claim_body(f"nul/{uuid.uuid4().hex}.txt") | fields

    response = client.post("/claims", json=body)

    assert response.status_code in statuses, response.text
    if response.status_code == 200:
        (row,) = response.json()["claims"]
        listed = client.get("/claims", params={"engineer": body["engineer"]}).json()["claims"]
        assert row in listed
        for name, value in fields.items():
            assert row[name] == value  # stored and read back byte for byte
        client.delete(f"/claims/{row['id']}")
    else:
        assert_error(response, response.status_code)
    assert_still_serving(client)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/conflicts/batch", {"patterns": ["a"], "engineer": f"e{NUL}"}),
        ("/conflicts/batch", {"patterns": ["a"], "engineer": "e", "session_ids": [NUL]}),
        ("/conflicts/batch", {"patterns": ["a"], "engineer": "e", "repo": NUL}),
        ("/claims/release", {"claim_ids": [f"clm{NUL}"], "engineer": NUL}),
        ("/claims/clm_x/extend", {"engineer": NUL, "ttl_hours": 1}),
    ],
)
def test_nul_bytes_in_other_bodies_never_fail_the_server(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body)

    assert response.status_code < 500, response.text
    assert_still_serving(client)


@pytest.mark.parametrize(
    "path",
    [
        "/claims/%00",
        "/claims/%ff%fe",
        "/requests/%00",
        "/sessions/%00/release?repo=%00",
        "/claims?engineer=%00&module=%ff&session_id=%00",
        "/conflicts?pattern=%00&engineer=%ff",
        "/requests?queued=true&engineer=%00&repo=%ff",
    ],
)
def test_nul_and_invalid_utf8_in_paths_and_queries_never_fail(
    client: TestClient, path: str
) -> None:
    method = "DELETE" if path.startswith(("/claims/%", "/requests/%")) else "GET"
    method = "POST" if path.startswith("/sessions") else method

    response = client.request(method, path)

    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    assert_still_serving(client)


# -- headers -------------------------------------------------------------------------------------


def test_headers_with_odd_bytes_never_fail(client: TestClient) -> None:
    odd_token = client.get("/claims", headers={"Authorization": b"Bearer \xff\xfe"})
    odd_id = client.get("/claims", headers={"X-Request-ID": b"\xff\xfe-not-ascii"})
    long_key = client.post(
        "/claims", json=claim_body("k.txt"), headers={"Idempotency-Key": "k" * 10_000}
    )
    odd_session = client.post(
        "/claims", json=claim_body("k.txt"), headers={"X-Coord-Session": "not a session!"}
    )

    assert_error(odd_token, 401, "unauthorized")
    assert odd_id.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", odd_id.headers["x-request-id"])  # replaced, not echoed
    assert_error(long_key, 400)
    assert_error(odd_session, 400, "invalid_session")
    assert_still_serving(client)


# -- arbitrary JSON to every JSON route -----------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities become the NaN/Infinity literals
    | st.text(max_size=30)
    | st.text(alphabet="ab/*?[]!.\\#:-_ \x00\x7f", max_size=20)  # pattern-ish
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _near(fields: tuple[str, ...], special: dict[str, Any] | None = None) -> Any:
    """Objects with a route's real field names and arbitrary (or nearly right) values."""
    special = special or {}
    return st.fixed_dictionaries(
        {}, optional={name: special.get(name, json_values) for name in fields}
    )


_items = st.lists(_near(("type", "pattern", "symbols", "narrowable")), max_size=3) | json_values
_NEAR_BODIES = {
    # wait_seconds is left out: a valid queued request would long-poll for minutes.
    "/claims": _near(
        (
            "engineer",
            "claims",
            "branch",
            "description",
            "ttl_hours",
            "repo",
            "session_id",
            "urgency",
        ),
        {"claims": _items},
    ),
    "/claims/release": _near(("claim_ids", "engineer")),
    "/claims/clm_missing/extend": _near(("engineer", "ttl_hours")),
    "/conflicts/batch": _near(
        ("patterns", "engineer", "repo", "all_repos", "session_ids", "symbols")
    ),
}


def _assert_answered(response: Any) -> None:
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    if response.status_code >= 400 and response.status_code != 409:
        assert isinstance(body["detail"], str)
        assert isinstance(body["code"], str)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("path", JSON_ROUTES)
def test_arbitrary_json_never_gets_a_5xx(client: TestClient, path: str, data: Any) -> None:
    body = data.draw(json_values | _NEAR_BODIES[path], label="body")
    assume(not (isinstance(body, dict) and "wait_seconds" in body))

    _assert_answered(post_raw(client, path, json.dumps(body).encode()))


_query_keys = (
    "engineer",
    "module",
    "repo",
    "session_id",
    "limit",
    "active_only",
    "all_repos",
    "pattern",
    "symbols",
    "queued",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(
        [
            "GET /claims",
            "GET /conflicts",
            "GET /requests",
            "DELETE /claims/{}",
            "POST /sessions/{}/release",
            "DELETE /requests/{}",
            "GET /repos",
        ]
    ),
    segment=st.text(min_size=1, max_size=40),
    query=st.lists(st.tuples(st.sampled_from(_query_keys), st.text(max_size=30)), max_size=6),
)
def test_arbitrary_paths_and_queries_never_get_a_5xx(
    client: TestClient, target: str, segment: str, query: list[tuple[str, str]]
) -> None:
    method, template = target.split(" ")
    path = template.replace("{}", quote(segment, safe=""))

    _assert_answered(client.request(method, path, params=query))


def test_the_app_still_serves_after_everything(client: TestClient) -> None:
    assert_still_serving(client)
    metrics = client.get("/metrics").text
    assert not re.search(r'status="5\d\d"', metrics), "a request was answered with a 5xx"


# -- the real process ----------------------------------------------------------------------------


def _raw_exchange(port: int, request: bytes, read: bool = True) -> bytes:
    """Send raw bytes on a fresh connection; the server's first answer bytes (or b"")."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        return connection.recv(200) if read else b""


def _wait_for_status(server: Any, status: str, deadline_sec: float = 10.0) -> str:
    """The metrics text once it counts a request answered with `status` (the deadline fails)."""
    deadline = time.monotonic() + deadline_sec
    with server.client() as http:
        while True:
            metrics = http.get("/metrics").text
            if f'status="{status}"' in metrics or time.monotonic() > deadline:
                return metrics
            time.sleep(0.02)  # the hang-up is handled on the server's own schedule


@pytest.mark.slow
def test_real_process_survives_bad_input(coord_api: Any) -> None:
    port = int(coord_api.base_url.rsplit(":", 1)[1])
    with coord_api.client() as http:
        answers = [
            http.post("/claims", content=b" " * TEN_MB, headers={"Content-Type": JSON}),
            http.post("/claims", content=_chunks(TEN_MB), headers={"Content-Type": JSON}),
            http.post("/claims", content=b"[" * DEEP + b"]" * DEEP),
            http.post("/claims", content=b'{"engineer": "\xc3\x28", "claims": []}'),
            http.post("/claims", content=b'{"engineer": "e", "ttl_hours": NaN, "claims": []}'),
            http.post("/claims", json=claim_body("real/x\x00.ts")),
            http.post("/claims", json=claim_body("real/a.ts", colour="red")),
            http.post("/conflicts/batch", content=b"\x00" * 100),
            http.get("/claims", headers={"X-Request-ID": b"\xff\xfe"}),
            http.get("/claims/%ff%00"),
        ]
        for response in answers:
            assert 200 <= response.status_code < 500, response.text[:300]
    garbage = _raw_exchange(port, b"GARBAGE \x00\xff\r\n\r\n")
    bad_target = _raw_exchange(port, b"GET /claims/\xff\x00 HTTP/1.1\r\nHost: x\r\n\r\n")
    _raw_exchange(
        port,
        b"POST /claims HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        b"Content-Type: application/json\r\n"
        b"Authorization: Bearer " + coord_api.token.encode() + b'\r\n\r\n{"engi',
        read=False,
    )

    assert garbage.startswith(b"HTTP/1.1 4")
    assert re.match(rb"HTTP/1.1 [234]", bad_target), bad_target
    metrics = _wait_for_status(coord_api, "499")  # the client that hung up mid-body
    assert 'status="499"' in metrics
    assert not re.search(r'status="5\d\d"', metrics), "a request was answered with a 5xx"
    assert coord_api.is_running()
    with coord_api.client() as http:
        assert http.get("/readyz").status_code == 200
        granted = http.post("/claims", json=claim_body("real/after.ts"))
        assert granted.status_code == 200, granted.text
    log = coord_api.stderr_text()
    assert "Traceback" not in log
    assert "unhandled error" not in log
