"""Base classes and field types shared by every wire model."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
)
from pydantic_core import CoreSchema, PydanticCustomError

from coord_protocol.text import (
    SAFE_TEXT_PATTERN,
    UNSAFE_TEXT_ERROR,
    first_unsafe_char,
    unsafe_text_problem,
)
from coord_protocol.timestamps import as_utc, format_utc

UtcDatetime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timestamp that is always UTC and serialises as `2026-11-24T10:00:00Z`."""


def _safe_text(value: str) -> str:
    char = first_unsafe_char(value)
    if char is not None:
        raise PydanticCustomError(UNSAFE_TEXT_ERROR, unsafe_text_problem(char))
    return value


class _SafeTextValidator(AfterValidator):
    """`_safe_text` as an after-validator whose JSON schema says what it refuses."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        described: dict[str, Any] = handler(schema)
        described["pattern"] = SAFE_TEXT_PATTERN
        return described


SafeText = _SafeTextValidator(_safe_text)
"""Refuses a string holding a control or bidirectional-override character (see `text`); its
JSON schema carries the same rule as a `pattern`, so generated clients and schemas know it."""

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
"""Python code matches ids with `fullmatch`: `re`'s `$` alone also accepts a trailing newline."""
REPO_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$"

SessionId = Annotated[str, Field(pattern=SESSION_ID_PATTERN, examples=["a1b2c3d4e5f60718"])]
"""Client-chosen session id: 1-128 characters of `A-Z a-z 0-9 . _ : -`."""

RepoId = Annotated[str, Field(pattern=REPO_ID_PATTERN, max_length=200, examples=["acme/web"])]
"""Repository id `owner/name`; claims in different repos never interact."""

Engineer = Annotated[
    str, Field(min_length=1, max_length=200, examples=["alex/claude/main"]), SafeText
]
"""Free text naming the actor, conventionally `person/tool/worktree`."""

Branch = Annotated[str, Field(max_length=300), SafeText]
"""Git branch the work happens on, shown to other engineers."""

Description = Annotated[str, Field(max_length=2000), SafeText]
"""Free text other engineers and their agents read: a description, a reason, a note."""

TtlHours = Annotated[float, Field(gt=0, le=168, allow_inf_nan=False)]
"""Claim lifetime in hours, in (0, 168]."""


class WireModel(BaseModel):
    """Responses: tolerant of fields a newer server adds, documented by attribute docstrings."""

    model_config = ConfigDict(use_attribute_docstrings=True, extra="ignore")


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused (422) so a misspelt field never goes unnoticed."""

    model_config = ConfigDict(
        use_attribute_docstrings=True, extra="forbid", str_strip_whitespace=False
    )
