"""Free text: which characters are unsafe, and how they are shown."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from coord_protocol.claims import CreateClaimsRequest
from coord_protocol.conflicts import ConflictingClaim
from coord_protocol.ownership import PromoteRequest
from coord_protocol.requests import CreateReleaseRequest, RespondRequest
from coord_protocol.text import UNSAFE_TEXT_ERROR, describe_char, first_unsafe_char, printable


@pytest.mark.parametrize(
    "char", ["\x00", "\x07", "\x1b", "\n", "\r", "\t", "\x7f", "\x85", "\x9b", "\u202e", "\u2066"]
)
def test_controls_and_bidi_overrides_are_unsafe(char: str) -> None:
    assert first_unsafe_char(f"fix {char} here") == char
    assert char not in printable(f"fix {char} here")


def test_ordinary_text_is_kept_as_is() -> None:
    text = "alex/claude/main: fix the login form (déjà vu, 東京, emoji 🚀)"
    assert first_unsafe_char(text) is None
    assert printable(text) == text


def test_escapes_are_visible() -> None:
    assert printable("\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert printable("a\u202eb") == "a\\u202eb"
    assert describe_char("\x1b") == "U+001B"


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (CreateClaimsRequest, {"engineer": "a\x1b", "claims": [{"pattern": "a"}]}, "engineer"),
        (CreateClaimsRequest, {"branch": "m\u202e", "claims": [{"pattern": "a"}]}, "branch"),
        (CreateClaimsRequest, {"description": "d\n", "claims": [{"pattern": "a"}]}, "description"),
        (CreateReleaseRequest, {"claim_id": "c", "reason": "r\x9b"}, "reason"),
        (CreateReleaseRequest, {"claim_id": "c", "reason": "r", "requester": "\x00"}, "requester"),
        (RespondRequest, {"decision": "denied", "note": "\u2066"}, "note"),
        (PromoteRequest, {"action": "split", "pattern": "a", "note": "\x7f"}, "note"),
    ],
)
def test_request_models_refuse_unsafe_free_text(
    model: type[BaseModel], fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(fields)

    (error,) = caught.value.errors()
    assert (error["type"], error["loc"]) == (UNSAFE_TEXT_ERROR, (field,))
    assert "U+" in error["msg"]


def test_response_models_keep_stored_text_as_it_is() -> None:
    conflicting = ConflictingClaim.model_validate(
        {"id": "c", "engineer": "bob\x1b", "pattern": "a", "expires_at": "2026-11-24T10:00:00Z"}
    )
    assert conflicting.engineer == "bob\x1b"
