"""`coord tokens`, `coord init --token` and doctor's operator-token warning, against a real service.

The operator is the user who ran `coord start` (its token is in their COORD_HOME); engineers are
other users on fresh accounts, with checkouts cloned as a team has them.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from coord_protocol.local_env import parse_local_env
from coord_protocol.tokens import TOKEN_PREFIX

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Service, User

pytestmark = pytest.mark.slow

CREATED_KEYS = ["id", "token", "engineer", "repo", "read_only", "expires_at"]


def _whoami(service: Service, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{service.url}/whoami", headers=headers, timeout=30)


def _create(service: Service, *args: str) -> dict[str, object]:
    done = service.user.coord("tokens", "create", *args, "--json")
    assert done.returncode == 0, done.stderr
    created: dict[str, object] = json.loads(done.stdout)
    return created


def _local_env(root: Path) -> Path:
    return root / ".coordination" / "local.env"


def test_create_prints_the_secret_once_and_list_never_does(cli_service: Service) -> None:
    operator = cli_service.user
    shown = operator.coord("tokens", "create", "alex", "--repo", "acme/shop", "--read-only")
    assert shown.returncode == 0, shown.stderr
    secrets = [word for word in shown.stdout.split() if word.startswith(TOKEN_PREFIX)]
    assert len(secrets) == 1, shown.stdout
    assert "will not be shown again" in shown.stdout
    assert "repo acme/shop, read-only" in shown.stdout
    assert _whoami(cli_service, secrets[0]).json()["engineer"] == "alex"

    listing = operator.coord("tokens", "list", "--wide", COLUMNS="200")
    as_json = operator.coord("tokens", "list", "--json")
    assert listing.returncode == 0 and as_json.returncode == 0, listing.stderr + as_json.stderr
    for output in (listing.stdout, as_json.stdout, listing.stderr, as_json.stderr):
        assert secrets[0] not in output
        assert TOKEN_PREFIX not in output
    rows = json.loads(as_json.stdout)["tokens"]
    assert {"engineer": "alex", "repo": "acme/shop", "read_only": True} in [
        {key: row[key] for key in ("engineer", "repo", "read_only")} for row in rows
    ]
    assert "alex" in listing.stdout and "read-only" in listing.stdout


def test_create_json_has_exactly_the_documented_keys(cli_service: Service) -> None:
    before = datetime.now(UTC)
    created = _create(cli_service, "sam", "--expires-in", "30d")

    assert list(created) == CREATED_KEYS
    assert str(created["token"]).startswith(TOKEN_PREFIX)
    assert (created["engineer"], created["repo"], created["read_only"]) == ("sam", None, False)
    expires = datetime.fromisoformat(str(created["expires_at"]))
    assert before + timedelta(days=30) <= expires <= datetime.now(UTC) + timedelta(days=30)
    assert _create(cli_service, "sam", "--expires-in", "90m")["expires_at"] is not None
    assert _create(cli_service, "sam")["expires_at"] is None


@pytest.mark.parametrize("bad", ["30", "3w", "d", "-5m", "10s", "9999d"])
def test_a_bad_lifetime_is_refused_with_the_accepted_forms(cli_service: Service, bad: str) -> None:
    done = cli_service.user.coord("tokens", "create", "sam", "--expires-in", bad)
    assert done.returncode == 2
    assert done.stderr.startswith("coord: --expires-in")
    assert "30d" in done.stderr and "Traceback" not in done.stderr


def test_rotate_refuses_the_old_secret_at_once(cli_service: Service) -> None:
    created = _create(cli_service, "rita")
    old = str(created["token"])
    assert _whoami(cli_service, old).status_code == 200

    rotated = cli_service.user.coord("tokens", "rotate", str(created["id"]), "--json")

    assert rotated.returncode == 0, rotated.stderr
    answer = json.loads(rotated.stdout)
    assert list(answer) == CREATED_KEYS
    assert answer["id"] == created["id"] and answer["token"] != old
    assert _whoami(cli_service, old).status_code == 401
    assert _whoami(cli_service, answer["token"]).json()["engineer"] == "rita"

    again = cli_service.user.coord("tokens", "rotate", str(created["id"]))
    newest = [word for word in again.stdout.split() if word.startswith(TOKEN_PREFIX)]
    assert len(newest) == 1 and "will not be shown again" in again.stdout
    assert _whoami(cli_service, answer["token"]).status_code == 401
    assert TOKEN_PREFIX not in cli_service.user.coord("tokens", "list").stdout


def test_revoke_takes_effect_on_the_next_request(cli_service: Service) -> None:
    created = _create(cli_service, "vic")
    token_id, secret = str(created["id"]), str(created["token"])

    revoked = cli_service.user.coord("tokens", "revoke", token_id, "--json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout) == {"id": token_id, "revoked": True}
    assert _whoami(cli_service, secret).status_code == 401

    twice = cli_service.user.coord("tokens", "revoke", token_id)
    assert twice.returncode == 0 and "revoked already" in twice.stdout
    listed = json.loads(cli_service.user.coord("tokens", "list", "--json").stdout)["tokens"]
    assert {"id": token_id, "state": "revoked"} in [
        {"id": row["id"], "state": row["state"]} for row in listed
    ]


def test_refusals_are_one_line_without_a_traceback(cli_service: Service) -> None:
    engineer = str(_create(cli_service, "eve")["token"])
    as_engineer = cli_service.user.coord(
        "tokens", "list", COORD_API_URL=cli_service.url, COORD_AUTH_TOKEN=engineer
    )
    unknown = cli_service.user.coord("tokens", "rotate", "no-such-token")

    for done in (as_engineer, unknown):
        assert done.returncode != 0
        assert done.stderr.startswith("coord: ") and "Traceback" not in done.stderr
        assert engineer not in done.stderr
    assert "operator" in as_engineer.stderr


def test_init_stores_the_piped_json_0600_gitignored(cli_service: Service, new_user: User) -> None:
    created = _create(cli_service, "alex")
    clone = new_user.clone()
    # umask 000 would make an ordinary new file world-readable: the token's never is.
    done = new_user.run(
        "sh", "-c", "umask 000 && exec coord init --token -", cwd=clone.root,
        stdin=json.dumps(created),
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "for alex" in done.stdout and str(created["token"]) not in done.stdout + done.stderr
    local_env = _local_env(clone.root)
    assert stat.S_IMODE(local_env.stat().st_mode) == 0o600
    assert stat.S_IMODE(local_env.parent.stat().st_mode) & 0o022 == 0  # nobody else may swap it
    values = parse_local_env(local_env.read_text(encoding="utf-8"))
    assert values["COORD_AUTH_TOKEN"] == created["token"]
    assert "COORD_USER" not in values  # the hooks derive alex/<tool>/<checkout> from git
    assert "may not act as" not in done.stderr
    status = new_user.git(clone.root, "status", "--porcelain", "--untracked-files=all")
    assert status.split() == ["??", ".gitignore"]  # the new ignore block; local.env stays ignored


def test_init_says_when_the_names_used_here_are_not_the_tokens(
    cli_service: Service, new_user: User
) -> None:
    created = _create(cli_service, "robin", "--repo", "acme/other")
    clone = new_user.clone()
    new_user.git(clone.root, "config", "user.email", "alex@example.com")

    done = new_user.coord("init", "--token", "-", cwd=clone.root, stdin=json.dumps(created))

    assert done.returncode == 0, done.stderr
    assert "agents here act as alex (git's user.email)" in done.stderr
    assert "COORD_USER=robin/<tool>/<checkout>" in done.stderr
    assert "bound to repo acme/other, but this checkout is shop" in done.stderr


def test_init_refuses_to_write_through_a_symlink(cli_service: Service, new_user: User) -> None:
    token = str(_create(cli_service, "mal")["token"])
    clone = new_user.clone()
    elsewhere = new_user.scratch / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "readable.txt"
    victim.write_text("someone else's file\n", encoding="utf-8")
    coordination = clone.root / ".coordination"
    coordination.mkdir()
    _local_env(clone.root).symlink_to(victim)

    as_token = new_user.coord("init", "--token", "-", cwd=clone.root, stdin=token)
    as_wiring = new_user.coord(
        "init", "--tool", "claude", "--mode", "remote", "--service-url", cli_service.url,
        "--token", "-", "--yes", cwd=clone.root, stdin=token,
    )  # fmt: skip
    for done in (as_token, as_wiring):
        assert done.returncode == 1, done.stdout
        assert "is a symlink" in done.stderr and "Traceback" not in done.stderr
    assert victim.read_text(encoding="utf-8") == "someone else's file\n"

    _local_env(clone.root).unlink()
    coordination.rmdir()
    coordination.symlink_to(elsewhere, target_is_directory=True)
    linked_dir = new_user.coord("init", "--token", "-", cwd=clone.root, stdin=token)
    assert linked_dir.returncode == 1 and "is a symlink" in linked_dir.stderr
    assert sorted(os.listdir(elsewhere)) == ["readable.txt"]


def test_bad_token_input_is_a_usage_error(new_user: User) -> None:
    clone = new_user.clone()
    for given in ("", "two words", '{"id": "x"}', "{not json"):
        done = new_user.coord("init", "--token", "-", cwd=clone.root, stdin=given)
        assert done.returncode == 2, given
        assert done.stderr.startswith("coord: --token:") and "Traceback" not in done.stderr
    assert not (clone.root / ".coordination").exists()


def test_doctor_warns_about_the_operator_token_in_a_checkout(
    cli_service: Service, new_user: User
) -> None:
    clone = new_user.clone()
    wired = new_user.coord(
        "init", "--tool", "claude", "--mode", "remote", "--service-url", cli_service.url,
        "--yes", cwd=clone.root, COORD_AUTH_TOKEN=cli_service.token,
    )  # fmt: skip
    assert wired.returncode == 0, wired.stderr

    warned = new_user.coord("doctor", cwd=clone.root)
    assert "WARN token" in warned.stdout, warned.stdout
    assert "coord tokens create" in warned.stdout and "coord init --token" in warned.stdout
    assert cli_service.token not in warned.stdout + warned.stderr

    created = _create(cli_service, "alex")
    stored = new_user.coord("init", "--token", "-", cwd=clone.root, stdin=json.dumps(created))
    assert stored.returncode == 0, stored.stderr
    fixed = new_user.coord("doctor", cwd=clone.root)
    assert "OK   token" in fixed.stdout and "accepted as engineer" in fixed.stdout, fixed.stdout
    assert "WARN token" not in fixed.stdout


def test_a_shell_token_is_never_sent_to_local_envs_url(cli_service: Service) -> None:
    operator = cli_service.user
    clone = operator.clone("elsewhere-wired")
    env_file = _local_env(clone.root)
    env_file.parent.mkdir()
    env_file.write_text("COORD_API_URL=http://127.0.0.1:9\nCOORD_AUTH_TOKEN=not-this\n")

    # The exported token goes to the operator's own local service, not to local.env's URL.
    listed = operator.coord("tokens", "list", "--json", cwd=clone.root,
                            COORD_AUTH_TOKEN=cli_service.token)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "tokens" in json.loads(listed.stdout)

    from_file = operator.coord("tokens", "list", cwd=clone.root)
    assert from_file.returncode == 4 and "127.0.0.1:9" in from_file.stderr
