"""Fence findings drawn for people: blocks of lines for a terminal, a table for a CI summary.

The lines are the service's `detail` texts, which quote engineer names and patterns other people
wrote: each passes through `printable` (by `wrap` and `markdown_table`), so no control character
reaches a terminal or a Markdown summary.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from coord_hooks._fence_check import FenceReport, Finding
from coord_hooks._render import TERMINAL_WIDTH, markdown_table, wrap
from coord_protocol.text import printable

BYPASS = "git push --no-verify"
"""How a person pushes past the hook."""

WAY_OUT = (
    "Claim what you edit (`coord claim PATTERN`, or ask the holder to release it), rebase onto "
    "the newer holder's work, or push anyway with: " + BYPASS
)
"""What to do about findings, named in every report that blocks."""

_HEADERS = ("commit", "file", "finding")


def headline(findings: Sequence[Finding], advise: bool) -> str:
    """The first line: how many changed files were not edited under a valid claim."""
    what = _count(findings) + " not edited under a valid claim"
    if advise:
        return f"coord: warning: {what} (advise mode: the push goes ahead)."
    return f"coord: push blocked: {what}."


def terminal_lines(report: FenceReport, advise: bool, width: int = TERMINAL_WIDTH) -> list[str]:
    """The findings for a terminal: the headline, one block per finding, the way out."""
    findings = report.findings
    blocks: list[str] = []
    for finding in findings:
        blocks.append(printable(f"  {finding.commit[:10]} {finding.path}"))
        blocks += textwrap.wrap(
            printable(finding.detail), width=width, initial_indent="    ",
            subsequent_indent="    ", break_long_words=False, break_on_hyphens=False,
        )  # fmt: skip
    ids = ", ".join(dict.fromkeys(claim for finding in findings for claim in finding.claims))
    steps = "Tell the holders before either side merges." if advise else WAY_OUT
    return [
        wrap(headline(findings, advise)), "", *blocks, "",
        *([wrap(f"Claims: {ids}.")] if ids else []), wrap(steps),
    ]  # fmt: skip


def markdown_lines(report: FenceReport) -> list[str]:
    """The findings as a Markdown table with its count, for a job summary."""
    rows = [(finding.commit[:10], finding.path, finding.detail) for finding in report.findings]
    return [
        f"**{_count(report.findings)} not edited under a valid claim** "
        f"({report.paths} changed file(s) in {report.commits} commit(s), "
        f"{report.with_trailers} with Coord-Claim trailers).",
        "",
        *markdown_table(_HEADERS, rows, code_columns=2),
    ]


def clean_line(report: FenceReport) -> str:
    """The line for a report without findings."""
    return (
        f"Every change of the {report.commits} commit(s) was made under a valid claim "
        f"({report.with_trailers} with Coord-Claim trailers)."
    )


def _count(findings: Sequence[Finding]) -> str:
    count = len({finding.path for finding in findings})
    return f"{count} changed file{'s were' if count != 1 else ' was'}"
