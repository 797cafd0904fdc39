"""Wire models: validation of requests, serialisation of answers, documentation on every field."""

from __future__ import annotations

import importlib
import inspect
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import coord_protocol
from coord_protocol import (
    Claim,
    ClaimSpec,
    ConflictBatchRequest,
    CreateClaimsRequest,
    CreateClaimsResponse,
    ExtendClaimRequest,
    QueueList,
)
from coord_protocol.adherence import AdherenceReport
from coord_protocol.vocab import ClaimType, Urgency

MODEL_MODULES = ("claims", "conflicts", "queue", "requests", "ownership", "service", "outbox")


def _all_models() -> list[type[BaseModel]]:
    found = []
    for name in MODEL_MODULES:
        module = importlib.import_module(f"coord_protocol.{name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseModel) and value.__module__ == module.__name__:
                found.append(value)
    return found


@pytest.mark.parametrize("model", _all_models(), ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[BaseModel]) -> None:
    undocumented = [name for name, field in model.model_fields.items() if not field.description]
    assert undocumented == [], f"{model.__name__} fields without a docstring: {undocumented}"


def test_claim_request_defaults() -> None:
    body = CreateClaimsRequest.model_validate(
        {"engineer": "alex/claude/main", "claims": [{"pattern": "src/**"}]}
    )
    assert body.claims[0].type is ClaimType.FILE
    assert body.claims[0].symbols is None and body.claims[0].narrowable is None
    assert (body.wait_seconds, body.urgency, body.ttl_hours) == (0, Urgency.NORMAL, None)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"ttl_hours": 0}, "ttl_hours"),
        ({"ttl_hours": 168.5}, "ttl_hours"),
        ({"ttl_hours": float("nan")}, "ttl_hours"),
        ({"wait_seconds": 601}, "wait_seconds"),
        ({"urgency": "urgent"}, "urgency"),
        ({"repo": "not a repo"}, "repo"),
        ({"repo": "/leading"}, "repo"),
        ({"session_id": "bad id!"}, "session_id"),
        ({"session_id": "x" * 129}, "session_id"),
        ({"engineer": ""}, "engineer"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_claim_request_refuses_bad_fields(patch: dict[str, Any], field: str) -> None:
    body = {"engineer": "alex", "claims": [{"pattern": "a.ts"}], **patch}
    with pytest.raises(ValidationError) as raised:
        CreateClaimsRequest.model_validate(body)
    assert field in {str(error["loc"][0]) for error in raised.value.errors()}


def test_claim_spec_leaves_pattern_rules_to_the_engine() -> None:
    # Empty and overlong patterns reach the engine, which answers 400 naming the rule.
    assert ClaimSpec.model_validate({"pattern": ""}).pattern == ""
    with pytest.raises(ValidationError):
        ClaimSpec.model_validate({"pattern": "a", "type": "folder"})


def test_batch_limits() -> None:
    with pytest.raises(ValidationError):
        ConflictBatchRequest.model_validate({"patterns": []})
    with pytest.raises(ValidationError):
        ConflictBatchRequest.model_validate({"patterns": ["a"] * 5001})
    assert len(ConflictBatchRequest.model_validate({"patterns": ["a"] * 5000}).patterns) == 5000
    with pytest.raises(ValidationError):
        ExtendClaimRequest.model_validate({"engineer": "a", "ttl_hours": -1})


def test_claim_row_serialises_timestamps_with_z() -> None:
    claim = Claim(
        id="clm_1", engineer="alex", claim_type=ClaimType.FILE, pattern="a.ts", fence=3,
        created_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        expires_at=datetime(2026, 11, 24, 14, 0, tzinfo=UTC),
    )  # fmt: skip
    wire = json.loads(claim.model_dump_json())
    assert wire["created_at"] == "2026-11-24T10:00:00Z"
    assert wire["expires_at"] == "2026-11-24T14:00:00Z"
    assert wire["coexists_with"] == [] and wire["released_at"] is None
    assert Claim.model_validate(wire) == claim


def test_answers_tolerate_fields_from_newer_servers() -> None:
    answer = CreateClaimsResponse.model_validate({"claim_ids": ["x"], "future_field": 1})
    assert answer.claim_ids == ["x"] and answer.conflicts == []
    assert QueueList.model_validate({"requests": [], "count": 0}).queued is True


def test_lazy_exports_resolve_and_unknown_names_fail() -> None:
    assert coord_protocol.Claim is Claim
    assert coord_protocol.__version__ == "0.1.0"
    assert set(coord_protocol.__all__) >= {"Claim", "CoordError", "ErrorCode", "Urgency"}
    for name in coord_protocol.__all__:
        assert getattr(coord_protocol, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = coord_protocol.Nope


def test_an_adherence_report_fits_its_source() -> None:
    commit = {"sha": "3f9a2c1d", "files": 2, "covered": 1, "trailers": True}
    pushed = AdherenceReport.model_validate({"source": "pre_push", "commits": [commit]})
    assert pushed.commits[0].covered == 1 and pushed.undeclared == []
    with pytest.raises(ValidationError, match="cannot exceed files"):
        AdherenceReport.model_validate({"source": "ci", "commits": [{**commit, "covered": 3}]})
    with pytest.raises(ValidationError, match="'reconcile' or 'shell_hook'"):
        AdherenceReport.model_validate({"source": "pre_push", "undeclared": ["a.py"]})
    with pytest.raises(ValidationError, match="source 'pre_push' or 'ci'"):
        AdherenceReport.model_validate({"source": "reconcile", "commits": [commit]})
    with pytest.raises(ValidationError, match="at most 1000"):
        AdherenceReport.model_validate({"source": "ci", "commits": [commit] * 1001})
