"""`coord doctor --live`: a real collision between two throwaway engineers, then clean-up.

A holder claims a probe path that no real work uses; a second engineer must then be refused by
the conflict check and by `POST /claims`, and the installed pre-push hook must refuse a push
that changes the probe path. After the holder releases, the same check and the same push must
pass. The probe commit is built in a temporary index and never touches the working tree or any
branch; every claim made is released whatever happens.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coord_cli._git import Checkout, run_git
from coord_cli.checks import Check, fail, ok, warn
from coord_cli.git_hook import hook_state
from coord_cli.target import Target
from coord_protocol.claims import ClaimSpec, CreateClaimsRequest, ReleaseClaimsRequest
from coord_protocol.client import ClientConfig, CoordClient
from coord_protocol.conflicts import ConflictBatchRequest
from coord_protocol.errors import CoordError

HOOK_TIMEOUT_SEC = 60.0
PROBE_TTL_HOURS = 0.25
PROBE_TEXT = "coord doctor --live probe: safe to delete\n"
_PROBE_IDENTITY = {
    "GIT_AUTHOR_NAME": "coord doctor",
    "GIT_AUTHOR_EMAIL": "doctor@coord.invalid",
    "GIT_COMMITTER_NAME": "coord doctor",
    "GIT_COMMITTER_EMAIL": "doctor@coord.invalid",
}


@dataclass(slots=True)
class Probe:
    """The throwaway names of one live run, and the claims it must release."""

    nonce: str = field(default_factory=lambda: secrets.token_hex(4))
    claim_ids: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The probe path: no real file of the repository."""
        return f"coord-doctor/probe-{self.nonce}.txt"

    @property
    def holder(self) -> str:
        """The engineer holding the probe path."""
        return f"coord-doctor/{self.nonce}/holder"

    @property
    def other(self) -> str:
        """The engineer who must be refused."""
        return f"coord-doctor/{self.nonce}/other"


def run_live(target: Target, checkout: Checkout | None) -> list[Check]:
    """Stage the collision and report each step as a check."""
    probe = Probe()
    config = ClientConfig(base_url=target.api_url, token=target.token)
    checks: list[Check] = []
    with CoordClient(config) as client, _released(client, probe):
        try:  # extend keeps the checks yielded before an error
            checks.extend(_collide(client, target, checkout, probe))
        except CoordError as exc:
            checks.append(
                fail("live", _one_line(exc.detail), "run `coord doctor` without --live first")
            )
    return checks


def _collide(
    client: CoordClient, target: Target, checkout: Checkout | None, probe: Probe
) -> Iterator[Check]:
    held = client.create_claims(_claim(probe.holder, probe.path, target.repo_id))
    if not held.claim_ids:
        yield fail(
            "live claim",
            f"the probe claim was refused: {held.next_step}",
            "look at the service's log",
        )
        return
    probe.claim_ids.extend(held.claim_ids)
    yield ok("live claim", f"{probe.holder} holds {probe.path}")
    yield _conflict_check(client, target, probe, expect_conflict=True)
    yield _refused_claim(client, target, probe)
    trial = _hook_trial(checkout, probe)
    if trial is None:
        yield warn(
            "live hook", "skipped: no coord pre-push hook, or no commit to build on",
            "run `coord init` in a repository with at least one commit",
        )  # fmt: skip
    else:
        yield _hook_run(trial, probe, expect_block=True)
    client.release_claims(ReleaseClaimsRequest(claim_ids=probe.claim_ids, engineer=probe.holder))
    yield _conflict_check(client, target, probe, expect_conflict=False)
    if trial is not None:
        yield _hook_run(trial, probe, expect_block=False)


def _claim(engineer: str, path: str, repo: str | None) -> CreateClaimsRequest:
    return CreateClaimsRequest(
        engineer=engineer,
        claims=[ClaimSpec(pattern=path)],
        description="coord doctor --live probe; released within seconds",
        ttl_hours=PROBE_TTL_HOURS,
        repo=repo,
    )


def _conflict_check(
    client: CoordClient, target: Target, probe: Probe, expect_conflict: bool
) -> Check:
    request = ConflictBatchRequest(patterns=[probe.path], engineer=probe.other, repo=target.repo_id)
    answer = client.check_conflicts(request)
    holders = {conflict.conflicting_claim.engineer for conflict in answer.conflicts}
    if expect_conflict:
        if probe.holder in holders:
            return ok("live conflict check", f"{probe.other} is told {probe.holder} holds the path")
        return fail(
            "live conflict check",
            "the conflict check missed the held path",
            "report this: the service does not detect overlaps",
        )
    if answer.has_conflicts:
        return fail(
            "live release",
            "the path still conflicts after the release",
            "report this: releases do not take effect",
        )
    return ok("live release", "after the release the path is free")


def _refused_claim(client: CoordClient, target: Target, probe: Probe) -> Check:
    answer = client.create_claims(_claim(probe.other, probe.path, target.repo_id))
    if answer.claim_ids:
        probe.claim_ids.extend(answer.claim_ids)
        return fail(
            "live refusal",
            "a second engineer was granted the held path",
            "report this: claims do not conflict",
        )
    return ok("live refusal", f"a claim by {probe.other} is refused (409)")


@dataclass(frozen=True, slots=True)
class HookTrial:
    """What running the pre-push hook on a probe push needs."""

    checkout: Checkout
    hook: Path
    commit: str
    """A commit adding the probe file on top of `head`, on no branch."""
    head: str


def _hook_trial(checkout: Checkout | None, probe: Probe) -> HookTrial | None:
    if checkout is None:
        return None
    state = hook_state(checkout.hooks_dir)
    head = checkout.ask("rev-parse", "--verify", "-q", "HEAD^{commit}")
    if not (state.exists and state.executable) or head is None:
        return None
    commit = _probe_commit(checkout, head, probe)
    return None if commit is None else HookTrial(checkout, state.path, commit, head)


def _probe_commit(checkout: Checkout, head: str, probe: Probe) -> str | None:
    with tempfile.TemporaryDirectory(prefix="coord-doctor-") as scratch:
        env = {**_PROBE_IDENTITY, "GIT_INDEX_FILE": str(Path(scratch) / "index")}

        def git(*args: str, stdin: str | None = None) -> str | None:
            done = run_git(checkout.top, *args, env=env, stdin=stdin)
            return done.stdout.strip() if done.returncode == 0 else None

        blob = git("hash-object", "-w", "--stdin", stdin=PROBE_TEXT)
        if git("read-tree", head) is None or blob is None:
            return None
        if git("update-index", "--add", "--cacheinfo", f"100644,{blob},{probe.path}") is None:
            return None
        tree = git("write-tree")
        return git("commit-tree", tree, "-p", head, "-m", "coord doctor probe") if tree else None


def _hook_run(trial: HookTrial, probe: Probe, expect_block: bool) -> Check:
    ref = f"refs/heads/coord-doctor-{probe.nonce}"
    pushed = f"{ref} {trial.commit} {ref} {trial.head}\n"
    url = trial.checkout.origin_url() or "origin"
    # After the release only the holder's claim is in question: the probe file was never
    # claimed by the pusher, which enforce mode also reports (SPEC §16: edits without a claim
    # block), so that run is in advise mode and must no longer name the holder.
    env = None if expect_block else {**os.environ, "COORD_PREPUSH_MODE": "advise"}
    try:
        done = subprocess.run(  # noqa: S603 - the repository's own hook, as git would run it
            [str(trial.hook), "origin", url], cwd=trial.checkout.top, input=pushed, env=env,
            capture_output=True, text=True, timeout=HOOK_TIMEOUT_SEC, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return fail("live hook", f"the pre-push hook could not run ({exc})", f"check {trial.hook}")
    if expect_block:
        return _blocked_verdict(done, probe)
    if done.returncode != 0 or probe.holder in done.stdout + done.stderr:
        return fail(
            "live hook release",
            f"the pre-push hook refuses a free push (exit {done.returncode}): {_excerpt(done)}",
            "run the hook by hand to see why",
        )
    return ok("live hook release", "after the release the pre-push hook lets the push through")


def _blocked_verdict(done: subprocess.CompletedProcess[str], probe: Probe) -> Check:
    named = probe.holder in done.stdout + done.stderr
    if named and done.returncode != 0:
        return ok("live hook", f"the pre-push hook refuses the push and names {probe.holder}")
    if named:
        return warn(
            "live hook",
            "the pre-push hook reports the holder but lets the push through (advise mode)",
            "set COORD_PREPUSH_MODE=enforce to block such pushes",
        )
    return fail(
        "live hook",
        f"the pre-push hook let the push through (exit {done.returncode}): {_excerpt(done)}",
        "run `coord doctor` and fix what it reports",
    )


@contextmanager
def _released(client: CoordClient, probe: Probe) -> Iterator[None]:
    try:
        yield
    finally:
        _clean_up(client, probe)


def _clean_up(client: CoordClient, probe: Probe) -> None:
    for engineer in (probe.holder, probe.other):
        try:
            held = client.list_claims(engineer=engineer, all_repos=True).claims
            ids = sorted({*probe.claim_ids, *(claim.id for claim in held)})
            if ids:
                client.release_claims(ReleaseClaimsRequest(claim_ids=ids))
        except CoordError:
            pass  # the claims expire on their own within PROBE_TTL_HOURS


def _excerpt(done: subprocess.CompletedProcess[str]) -> str:
    text = " ".join((done.stdout + done.stderr).split())
    return (text[:200] + "...") if len(text) > 200 else (text or "no output")


def _one_line(text: str) -> str:
    return " ".join(text.split())
