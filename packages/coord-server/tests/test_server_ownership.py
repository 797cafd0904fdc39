"""owners.yaml over the API (SPEC §8): upload, read back, severity and shared files (SPEC §4.4)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from server_support import TOKEN, FakeClock, claim_body, serve
from starlette.testclient import TestClient

from coord_protocol.client import ClientConfig, CoordClient
from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.ownership import PromoteRequest
from coord_protocol.vocab import PromoteAction
from coord_server.app import create_app
from coord_server.settings import Settings

pytestmark = pytest.mark.anyio

OWNERS = """\
# ownership of the web app
areas:
  auth:
    paths: ["src/auth/**"]   # the login flow
    owners: [alex]
    severity: hard
  docs:
    paths: [docs/]
shared_files:
  - package-lock.json          # coord-managed=permanent
suggested_splits:
  - {pattern: src/app/shell.ts, note: too central}
"""


async def upload(client: httpx.AsyncClient, text: str | bytes) -> httpx.Response:
    return await client.post(
        "/config/ownership", content=text, headers={"Content-Type": "application/yaml"}
    )


async def test_nothing_uploaded_reads_as_204(client: httpx.AsyncClient) -> None:
    answer = await client.get("/config/ownership")
    assert answer.status_code == 204 and answer.content == b""


async def test_upload_is_summarised_and_read_back_byte_for_byte(client: httpx.AsyncClient) -> None:
    answer = await upload(client, OWNERS)
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["ok"] is True and summary["areas"] == 2
    assert summary["hard_patterns"] == ["src/auth/**"]
    assert summary["shared_files"] == ["package-lock.json"]
    assert summary["suggested_splits"] == 1 and summary["reclassified_claims"] == 0
    read = await client.get("/config/ownership")
    assert read.status_code == 200 and read.text == OWNERS
    assert read.headers["content-type"].startswith("application/yaml")


async def test_an_empty_upload_clears_the_rules(client: httpx.AsyncClient) -> None:
    await upload(client, OWNERS)
    assert (await upload(client, "")).json()["shared_files"] == []
    assert (await client.get("/config/ownership")).status_code == 204
    granted = await client.post("/claims", json=claim_body("alex", "package-lock.json"))
    assert granted.json()["claims"][0]["shared"] is False


@pytest.mark.parametrize(
    ("text", "line", "rule"),
    [
        ("areas:\n  auth:\n    paths: [src/auth/**]\n    severity: strict\n", 4, "severity"),
        ("shared_file:\n  - a.json\n", 1, "unknown_key"),
        ("shared_files:\n  - a.json\n  - ./a.json\n", 3, "duplicate_entry"),
        ("shared_files:\n  - ../etc/passwd\n", 2, "pattern"),
        ("shared_files: [a\n", 2, "yaml_syntax"),
        ("shared_files:\n  - a.json  # coord-managed=forever\n", 2, "marker"),
    ],
    ids=["severity", "unknown-key", "duplicate", "bad-pattern", "syntax", "marker"],
)  # fmt: skip
async def test_invalid_documents_are_refused_naming_line_and_rule(
    client: httpx.AsyncClient, text: str, line: int, rule: str
) -> None:
    await upload(client, OWNERS)
    answer = await upload(client, text)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid_ownership"
    assert body["line"] == line and body["rule"] == rule
    assert f"line {line}" in body["detail"]
    assert (await client.get("/config/ownership")).text == OWNERS, "the old rules stay"


async def test_a_document_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    comment = "# " + "x" * 1024 + "\n"
    answer = await upload(client, comment * 1100)
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"


async def test_a_body_that_is_not_utf8_is_refused(client: httpx.AsyncClient) -> None:
    answer = await upload(client, b"shared_files:\n  - caf\xe9.json\n")
    assert answer.status_code == 400 and answer.json()["rule"] == "encoding"


async def test_hard_areas_set_severity_on_claims_and_conflicts(client: httpx.AsyncClient) -> None:
    early = await client.post("/claims", json=claim_body("alex", "src/auth/session.ts"))
    assert early.json()["claims"][0]["severity"] == "soft"
    summary = (await upload(client, OWNERS)).json()
    assert summary["reclassified_claims"] == 1, "the active claim takes the new severity"
    listed = (await client.get("/claims")).json()["claims"]
    assert listed[0]["severity"] == "hard"
    refused = await client.post("/claims", json=claim_body("sam", "src/auth/**"))
    assert refused.json()["conflicts"][0]["conflicting_claim"]["severity"] == "hard"
    wide = await client.post("/claims", json=claim_body("alex", "src/**/*.css"))
    assert wide.json()["claims"][0]["severity"] == "hard", "overlap with the area is enough"
    docs = await client.post("/claims", json=claim_body("sam", "docs/a.md"))
    assert docs.json()["claims"][0]["severity"] == "soft"


async def test_claims_inside_shared_files_cooperate(client: httpx.AsyncClient) -> None:
    await upload(client, OWNERS)
    first = (await client.post("/claims", json=claim_body("alex", "package-lock.json"))).json()
    assert first["claims"][0]["shared"] is True
    assert any("shared_files entry" in warning for warning in first["warnings"])
    second = await client.post("/claims", json=claim_body("sam", "package-lock.json"))
    assert second.status_code == 200
    assert any("alex" in notice for notice in second.json()["notices"])
    nested = await client.post("/claims", json=claim_body("kim", "web/package-lock.json"))
    assert nested.json()["claims"][0]["shared"] is True, "an unanchored entry covers any depth"
    exclusive = await client.post("/claims", json=claim_body("lee", "package.json"))
    assert exclusive.json()["claims"][0]["shared"] is False


async def test_promoting_by_upload_ends_the_409s_at_once(client: httpx.AsyncClient) -> None:
    held = (await client.post("/claims", json=claim_body("alex", "src/router.ts"))).json()
    waiting = asyncio.create_task(
        client.post("/claims", json=claim_body("kim", "src/router.ts", wait_seconds=30))
    )
    for _ in range(1000):
        if (await client.get("/requests", params={"queued": "true"})).json()["count"]:
            break
        await asyncio.sleep(0)
    refused = await client.post("/claims", json=claim_body("sam", "src/router.ts"))
    assert refused.status_code == 409
    summary = (await upload(client, "shared_files:\n  - src/router.ts\n")).json()
    assert summary["reclassified_claims"] == 1
    holder = (await client.get("/claims", params={"engineer": "alex"})).json()["claims"][0]
    assert holder["id"] == held["claim_ids"][0] and holder["shared"] is True
    again = await client.post("/claims", json=claim_body("sam", "src/router.ts"))
    assert again.status_code == 200
    assert (await asyncio.wait_for(waiting, 10)).status_code == 200, "the waiter went ahead"


async def test_a_dropped_entry_leaves_granted_claims_shared(client: httpx.AsyncClient) -> None:
    await upload(client, "shared_files:\n  - src/router.ts\n")
    await client.post("/claims", json=claim_body("alex", "src/router.ts"))
    await client.post("/claims", json=claim_body("sam", "src/router.ts"))
    await upload(client, "")
    listed = (await client.get("/claims")).json()["claims"]
    assert [claim["shared"] for claim in listed] == [True, True]
    refused = await client.post("/claims", json=claim_body("kim", "src/router.ts"))
    assert refused.status_code == 200, "shared holders block no one until they end"
    assert refused.json()["claims"][0]["shared"] is False


async def test_the_document_survives_a_restart(
    make_settings: Callable[..., Settings], clock: FakeClock
) -> None:
    settings = make_settings(disable_background_cleanup=True)
    async with serve(create_app(settings, clock)) as client:
        await upload(client, OWNERS)
    async with serve(create_app(settings, clock)) as client:
        assert (await client.get("/config/ownership")).text == OWNERS
        granted = await client.post("/claims", json=claim_body("alex", "src/auth/x.ts"))
        assert granted.json()["claims"][0]["severity"] == "hard"


class _Bridge(httpx.BaseTransport):
    """Hands the client's requests to Starlette's test client (the app runs in its thread)."""

    def __init__(self, http: TestClient) -> None:
        self.http = http

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.http.request(
            request.method, str(request.url), headers=dict(request.headers), content=request.read()
        )
        return httpx.Response(
            answer.status_code, headers=dict(answer.headers), content=answer.content
        )


def test_the_blocking_client_uploads_reads_and_promotes(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings())
    with TestClient(app) as http:
        config = ClientConfig("http://testserver", token=TOKEN)
        with CoordClient(config, transport=_Bridge(http)) as client:
            assert client.ownership() == ""
            summary = client.upload_ownership(OWNERS)
            assert summary.shared_files == ["package-lock.json"]
            assert client.ownership() == OWNERS
            with pytest.raises(CoordError) as refused:
                client.upload_ownership("areas: [\n")
            assert refused.value.code is ErrorCode.INVALID_OWNERSHIP
            assert refused.value.extra["rule"] == "yaml_syntax"
            request = PromoteRequest(action=PromoteAction.SHARED_FILE, pattern="src/app.ts")
            assert client.promote(request).changed is True
            assert client.hotspots(days=7).hotspots == []
            assert client.auto_resolutions().series == []
