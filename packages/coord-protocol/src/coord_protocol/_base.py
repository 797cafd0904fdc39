"""Base classes and field types shared by every wire model."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from coord_protocol.timestamps import as_utc, format_utc

UtcDatetime = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timestamp that is always UTC and serialises as `2026-11-24T10:00:00Z`."""

SESSION_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
REPO_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$"

SessionId = Annotated[str, Field(pattern=SESSION_ID_PATTERN, examples=["a1b2c3d4e5f60718"])]
"""Client-chosen session id: 1-128 characters of `A-Z a-z 0-9 . _ : -`."""

RepoId = Annotated[str, Field(pattern=REPO_ID_PATTERN, max_length=200, examples=["acme/web"])]
"""Repository id `owner/name`; claims in different repos never interact."""

Engineer = Annotated[str, Field(min_length=1, max_length=200, examples=["alex/claude/main"])]
"""Free text naming the actor, conventionally `person/tool/worktree`."""

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
