"""Which verdicts of the fence check make a changed file a finding, from canned answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pytest

from coord_hooks._fence_check import check_commits
from coord_hooks._git import Commit, parse_commits
from coord_hooks._http import HookClient
from coord_hooks._trailers import Trailer, parse_value

TRAILER = "clm_a fence=12 repo=shop/web"
MINE = {"id": "clm_a", "fence": 12}
BOBS = {"id": "clm_b", "fence": 15, "engineer": "bob"}


class CannedService:
    """Answers `POST /fences/check` from a verdict per (path, claim id)."""

    def __init__(self, verdicts: Mapping[tuple[str, str | None], dict[str, Any]]) -> None:
        self.verdicts = verdicts
        self.bodies: list[dict[str, Any]] = []

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        assert path == "/fences/check"
        self.bodies.append(body)
        answers = [
            {"path": entry["path"], **self.verdicts[(entry["path"], entry.get("claim_id"))]}
            for entry in body["entries"]
        ]
        return {"verdicts": answers}


def findings(trailers: tuple[str, ...], trailer: dict[str, Any], bare: dict[str, Any]) -> list[str]:
    commit = Commit("c" * 40, "2026-12-03T10:00:00+00:00", trailers, ("src/a.py",))
    service = CannedService({("src/a.py", "clm_a"): trailer, ("src/a.py", None): bare})
    report = check_commits(cast(HookClient, service), "alice", "shop/web", [commit])
    return [finding.status for finding in report.findings]


UNCLAIMED = {"status": "unclaimed", "detail": "edited without a claim"}
COVERED_LATER = {"status": "covered", "detail": "covered", "covering": [{"id": "c2", "fence": 20}]}
COVERED_BEFORE = {"status": "covered", "detail": "covered", "covering": [{"id": "c0", "fence": 14}]}
SUPERSEDED = {
    "status": "superseded",
    "detail": "but bob...",
    "claim": MINE,
    "superseded_by": [BOBS],
}


@pytest.mark.parametrize(
    ("trailer", "bare", "expected"),
    [
        ({"status": "valid", "detail": "ok", "claim": MINE}, UNCLAIMED, []),
        (SUPERSEDED, UNCLAIMED, ["superseded"]),
        (SUPERSEDED, COVERED_BEFORE, ["superseded"]),
        (SUPERSEDED, COVERED_LATER, []),
        ({"status": "not_covered", "detail": "x"}, UNCLAIMED, ["unclaimed"]),
        ({"status": "not_covered", "detail": "x"}, COVERED_BEFORE, []),
        ({"status": "not_yours", "detail": "x", "claim": BOBS}, UNCLAIMED, ["not_yours"]),
    ],
    ids=["valid", "superseded", "held-before-the-newer-grant", "claimed-again-after",
         "trailer-elsewhere", "covered-now", "not-yours"],
)  # fmt: skip
def test_a_path_is_judged_by_its_best_verdict(
    trailer: dict[str, Any], bare: dict[str, Any], expected: list[str]
) -> None:
    assert findings((TRAILER,), trailer, bare) == expected


def test_without_trailers_only_the_bare_question_is_asked() -> None:
    assert findings((), {}, UNCLAIMED) == ["unclaimed"]
    assert findings(("not a coord trailer",), {}, COVERED_BEFORE) == []


def test_a_finding_names_the_trailer_claim_and_the_newer_grant() -> None:
    commit = Commit("c" * 40, "2026-12-03T10:00:00+00:00", (TRAILER,), ("src/a.py",))
    service = CannedService({("src/a.py", "clm_a"): SUPERSEDED, ("src/a.py", None): UNCLAIMED})

    report = check_commits(cast(HookClient, service), "alice", "shop/web", [commit])

    assert [finding.claims for finding in report.findings] == [("clm_a", "clm_b")]
    assert report.with_trailers == 1
    entries = service.bodies[0]["entries"]
    assert entries == [{"path": "src/a.py"}, {"path": "src/a.py", "claim_id": "clm_a", "fence": 12}]


def test_git_log_records_are_read_with_their_trailers_and_paths() -> None:
    listing = (
        "\x1e"
        + "a" * 40
        + "\x1f2026-12-03T10:00:00+00:00\x1f"
        + TRAILER
        + "\x1fclm_b fence=3 repo=-"
        "\0\nsrc/a.py\0docs/b.md\0"
        "\x1e" + "b" * 40 + "\x1f2026-12-03T09:00:00+00:00\x1f\0"
    )

    commits = parse_commits(listing)

    assert [(c.trailers, c.paths) for c in commits] == [
        ((TRAILER, "clm_b fence=3 repo=-"), ("src/a.py", "docs/b.md")),
        ((), ()),
    ]


@pytest.mark.parametrize("repo", ["shop/web", None])
def test_a_trailer_reads_back_as_written(repo: str | None) -> None:
    trailer = Trailer("clm_3f9a", 12, repo)

    assert trailer.line() == f"Coord-Claim: clm_3f9a fence=12 repo={repo or '-'}"
    assert parse_value(trailer.value()) == trailer


@pytest.mark.parametrize(
    "value", ["clm_a fence=x repo=r", "clm_a repo=r", "a b fence=1 repo=r", ""]
)
def test_a_value_coord_did_not_write_is_no_trailer(value: str) -> None:
    assert parse_value(value) is None
