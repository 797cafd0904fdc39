"""`coord-hook ci` on a pull request branch, configured as the workflow template configures it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hooks_support import TOKEN, Service, Workspace, make_workspace

pytestmark = pytest.mark.slow

FILES = {"src/auth.py": "A = 1\n", "src/cart.py": "C = 1\n", "docs/guide.md": "# Guide\n"}


@pytest.fixture
def pull_request(tmp_path: Path, service: Service) -> Workspace:
    """A checkout of branch `feature`, which changes `src/cart.py` on top of origin's main."""
    workspace = make_workspace(tmp_path / "ws", FILES)
    workspace.git("checkout", "-q", "-b", "feature")
    workspace.commit({"src/cart.py": "C = 2\n"}, "cart change")
    # main moves on after the branch point: its changes are not the pull request's
    workspace.git("checkout", "-q", "main")
    workspace.commit({"src/auth.py": "A = 2\n"}, "auth change")
    workspace.git("push", "-q", "origin", "main")
    workspace.git("checkout", "-q", "feature")
    return workspace


def ci(
    workspace: Workspace, service: Service, summary: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run the check as the workflow template does: settings from the environment."""
    return workspace.run(
        ["coord-hook", "ci", "--base", "origin/main", *args],
        COORD_API_URL=service.base_url,
        COORD_AUTH_TOKEN=TOKEN,
        COORD_USER="alice",
        GITHUB_REPOSITORY="shop/web",
        GITHUB_STEP_SUMMARY=str(summary),
    )


def test_a_changed_file_claimed_by_another_engineer_fails_the_check(
    pull_request: Workspace, service: Service, tmp_path: Path
) -> None:
    held = service.claim("bob/claude/main", "src/cart.py")
    service.claim("carol", "src/auth.py")  # changed on main only
    summary = tmp_path / "summary.md"

    done = ci(pull_request, service, summary)

    assert done.returncode == 1, done.stderr
    report = summary.read_text(encoding="utf-8")
    assert report.startswith("## coord: active claims on this pull request's files")
    assert f"| `src/cart.py` | `bob/claude/main` | `src/cart.py` | `{held['id']}` |" in report
    assert "carol" not in report
    assert done.stdout == report


def test_no_claims_by_others_passes_and_says_so(
    pull_request: Workspace, service: Service, tmp_path: Path
) -> None:
    service.claim("alice/claude/feature", "src/cart.py")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")

    done = ci(pull_request, service, summary)

    assert done.returncode == 0, done.stderr
    report = summary.read_text(encoding="utf-8")
    assert report.startswith("earlier step\n")  # the summary is appended to, never replaced
    assert "No other engineer holds an active claim on the 1 changed file." in report


def test_an_unknown_base_cannot_be_checked(
    pull_request: Workspace, service: Service, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"

    done = pull_request.run(
        ["coord-hook", "ci", "--base", "origin/release"],
        COORD_API_URL=service.base_url,
        GITHUB_STEP_SUMMARY=str(summary),
    )

    assert done.returncode == 2
    assert "fetch-depth: 0" in summary.read_text(encoding="utf-8")
    assert "could not run" in done.stderr


def test_an_unreachable_service_cannot_be_checked(
    pull_request: Workspace, service: Service, dead_url: str, tmp_path: Path
) -> None:
    done = pull_request.run(
        ["coord-hook", "ci", "--base", "origin/main"],
        COORD_API_URL=dead_url,
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
    )

    assert done.returncode == 2
    assert "unreachable" in done.stderr
