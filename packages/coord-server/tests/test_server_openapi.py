"""The OpenAPI document: statuses, content types and constraints from the code's own tables.

A real server is held to the whole document by `tests/test_e2e_openapi_conformance.py`
(schemathesis); these tests pin how the document is derived, in-process and fast.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from coord_protocol.errors import HTTP_STATUS, ErrorCode
from coord_server.openapi import OPERATIONS, error_codes, openapi_document
from coord_server.routes.claims import ListQuery

pytestmark = pytest.mark.anyio

DOCUMENT = openapi_document("test")


def operation(method: str, path: str) -> dict[str, Any]:
    described: dict[str, Any] = DOCUMENT["paths"][path][method]
    return described


def test_every_error_code_is_listed_under_its_status() -> None:
    for described in OPERATIONS:
        responses = operation(described.method.lower(), described.path)["responses"]
        for code in error_codes(described):
            answer = responses[str(HTTP_STATUS[code])]
            assert f"`{code}`" in answer["description"], (described.path, code)


def test_the_session_routes_list_invalid_session() -> None:
    answer = operation("post", "/sessions/{session_id}/release")["responses"]["400"]
    assert "`invalid_session`" in answer["description"]
    assert "`invalid_text`" in answer["description"]


def test_the_auth_gate_statuses_are_listed_where_the_gate_answers_them() -> None:
    claim = operation("post", "/claims")["responses"]
    assert {"401", "403", "413", "415", "422", "429", "503"} <= set(claim)
    assert "401" not in operation("get", "/health")["responses"]
    assert "415" not in operation("get", "/claims")["responses"]


def test_query_parameters_carry_the_route_models_constraints() -> None:
    params = {p["name"]: p for p in operation("get", "/claims")["parameters"]}
    limit = ListQuery.model_fields["limit"]
    bounds = {type(item).__name__: item for item in limit.metadata}
    assert params["limit"]["schema"]["minimum"] == bounds["Ge"].ge
    assert params["limit"]["schema"]["maximum"] == bounds["Le"].le
    assert params["cursor"]["schema"]["maxLength"] == 400
    assert params["active_only"]["schema"] == {"type": "boolean"}
    unsafe = re.compile(params["engineer"]["schema"]["pattern"])
    assert unsafe.fullmatch("alex/claude") and not unsafe.fullmatch("alex\x1b[2J")


def test_get_conflicts_documents_the_query_names_it_reads() -> None:
    params = {p["name"]: p for p in operation("get", "/conflicts")["parameters"]}
    assert params["pattern"]["required"] is True
    assert params["pattern"]["schema"]["maxItems"] == 5000
    assert params["session_id"]["schema"]["items"]["pattern"]


def test_content_types_other_than_json_are_described() -> None:
    ownership = operation("get", "/config/ownership")["responses"]
    assert "application/yaml" in ownership["200"]["content"]
    assert "content" not in ownership["204"]
    events = operation("get", "/events")["responses"]["200"]
    assert list(events["content"]) == ["text/event-stream"]


def test_every_reference_resolves() -> None:
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(DOCUMENT)))
    assert refs and refs <= set(DOCUMENT["components"]["schemas"])


def test_every_link_names_an_operation_and_its_parameters() -> None:
    links = [
        link
        for methods in DOCUMENT["paths"].values()
        for described in methods.values()
        for answer in described["responses"].values()
        for link in answer.get("links", {}).values()
    ]
    assert len(links) >= 8
    for link in links:
        path, method = link["operationRef"].removeprefix("#/paths/").rsplit("/", 1)
        target = operation(method, path.replace("~1", "/").replace("~0", "~"))
        names = {param["name"] for param in target["parameters"]}
        assert set(link.get("parameters", {})) <= names, link


async def test_a_bodyless_mcp_post_is_a_coord_error(client: httpx.AsyncClient) -> None:
    answer = await client.post("/mcp")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["code"] == ErrorCode.BAD_REQUEST
