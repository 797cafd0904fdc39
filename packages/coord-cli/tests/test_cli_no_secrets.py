"""No token leaks (SPEC §13: never logged, never on a command line, never in a URL or an error).

One whole working session runs against a service `coord start` launched: tokens made with
`coord tokens`, a checkout wired with `coord init --token -`, a claim taken by the Claude Code
hook, a queued wait, a release request over MCP on stdio answered over `/mcp`, the pre-push
hook, and the operator commands. The service's log, every command's stderr (and its stdout, but
for the one `tokens create` that shows a new token) and `ps` taken while the long-lived clients
run must not hold any of the three secrets.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import httpx2
import pytest
from coord_e2e import console_script, wait_until
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

if TYPE_CHECKING:
    from conftest import Clone, Service, User

pytestmark = pytest.mark.slow

REPO = "acme/docs"
"""The repo of the MCP part (the checkout's own id is whatever `coord init` detects)."""


class Witness:
    """Everything a person or a log reader could see during the session."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def keep(self, what: str, text: str) -> None:
        self.seen[f"{what} #{len(self.seen)}"] = text

    def command(
        self, what: str, done: subprocess.CompletedProcess[str], stdout: bool = True
    ) -> Any:
        assert done.returncode in (0, 1, 2), f"{what}: {done.returncode}\n{done.stderr}"
        self.keep(f"{what} stderr", done.stderr)
        if stdout:
            self.keep(f"{what} stdout", done.stdout)
        return done

    def processes(self, what: str) -> None:
        table = subprocess.run(
            ["ps", "-eww", "-o", "args"], capture_output=True, text=True, check=True
        )
        self.keep(f"ps during {what}", table.stdout)

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        return [
            f"{name} in {where}"
            for where, text in self.seen.items()
            for name, secret in secrets.items()
            if secret in text
        ]


def make_token(op: Service, witness: Witness, engineer: str) -> dict[str, Any]:
    env = {"COORD_API_URL": op.url, "COORD_AUTH_TOKEN": op.token}
    done = op.user.coord("tokens", "create", engineer, "--json", **env)
    witness.command(f"tokens create {engineer}", done, stdout=False)  # it shows the token once
    created: dict[str, Any] = json.loads(done.stdout)
    return created


def claude_edit(user: User, clone: Clone, witness: Witness, session: str) -> None:
    payload = {
        "session_id": session, "cwd": str(clone.root), "hook_event_name": "PreToolUse",
        "tool_name": "Edit", "permission_mode": "default",
        "tool_input": {"file_path": str(clone.root / "src" / "app.py"), "old_string": "1",
                       "new_string": "2"},
    }  # fmt: skip
    done = user.run(
        "coord-hook", "claude", "pre-tool-use", cwd=clone.root, stdin=json.dumps(payload)
    )
    witness.command("claude pre-tool-use", done)


def queued_wait(op: Service, token: str, witness: Witness) -> None:
    """sam waits for the file alex's hook claimed, in a thread while `ps` is taken; alex's
    release ends the wait."""
    operator = {"Authorization": f"Bearer {op.token}"}
    with httpx.Client(base_url=op.url, headers=operator) as http:
        held = http.get("/claims").json()["claims"]
    assert [(c["engineer"], c["pattern"]) for c in held] == [("alex/claude/shop", "src/app.py")]
    body = {"engineer": "sam", "repo": held[0]["repo"], "claims": [{"pattern": "src/app.py"}],
            "wait_seconds": 30}  # fmt: skip
    answers: list[httpx.Response] = []
    headers = {"Authorization": f"Bearer {token}"}
    waiter = threading.Thread(
        target=lambda: answers.append(
            httpx.post(f"{op.url}/claims", json=body, headers=headers, timeout=60)
        )
    )
    waiter.start()
    with httpx.Client(base_url=op.url, headers=operator) as http:
        wait_until(
            lambda: bool(http.get("/requests", params={"queued": "true"}).json()["count"]),
            30,
            "sam's claim to wait in the queue",
        )
        witness.processes("a queued wait")
    env = {"COORD_API_URL": op.url, "COORD_AUTH_TOKEN": op.token}
    witness.command("release", op.user.coord("release", held[0]["id"], **env))
    waiter.join(60)
    assert answers and answers[0].status_code == 200, answers
    witness.keep("queued answer", answers[0].text)


async def negotiate(op: Service, tokens: dict[str, str], cwd: Path, witness: Witness) -> None:
    """alex claims over `/mcp` (streamable HTTP); sam, on stdio MCP, lists it."""
    sam_env = {"COORD_API_URL": op.url, "COORD_AUTH_TOKEN": tokens["sam"], "COORD_REPO_ID": REPO,
               "PATH": op.user.env["PATH"], "HOME": op.user.env["HOME"]}  # fmt: skip
    auth = {"Authorization": f"Bearer {tokens['alex']}", "X-Coord-Repo": REPO}
    errors = cwd / "mcp-stderr.txt"
    params = StdioServerParameters(command=console_script("coord-mcp"), env=sam_env, cwd=cwd)
    async with (
        httpx2.AsyncClient(headers=auth, timeout=60) as http,
        Client(streamable_http_client(f"{op.url}/mcp", http_client=http), mode="legacy") as alex,
    ):
        held = await alex.call_tool("claim_files", {"engineer": "alex", "patterns": ["docs/**"]})
        assert held.structured_content is not None and held.structured_content["ok"], held
        witness.keep("alex claim", json.dumps(held.structured_content))
        with errors.open("w") as stderr:
            async with Client(stdio_client(params, errlog=stderr), mode="legacy") as sam:
                await anyio.to_thread.run_sync(witness.processes, "an MCP session")
                listed = await sam.call_tool("list_claims", {"engineer": "alex"})
                witness.keep("sam list", json.dumps(listed.structured_content))
    witness.keep("coord-mcp stderr", errors.read_text(encoding="utf-8"))


def test_no_token_appears_in_logs_stderr_or_ps(
    cli_service: Service, new_user: User, tmp_path: Path
) -> None:
    operator, alex = cli_service, new_user
    witness = Witness()
    alex_made = make_token(operator, witness, "alex")
    sam_made = make_token(operator, witness, "sam")
    secrets = {"operator": operator.token, "alex": alex_made["token"], "sam": sam_made["token"]}
    clone = alex.clone()
    alex.git(clone.root, "config", "user.email", "alex@example.com")  # the hooks act as alex/...
    wired = alex.coord(
        "init", "--tool", "claude", "--mode", "remote", "--service-url", operator.url,
        "--token", "-", "--yes", cwd=clone.root, stdin=json.dumps(alex_made),
    )  # fmt: skip
    witness.command("init --token", wired)
    assert wired.returncode == 0, wired.stderr
    claude_edit(alex, clone, witness, "alex-session")
    witness.command("claims", alex.coord("claims", cwd=clone.root))
    witness.command("doctor", alex.coord("doctor", cwd=clone.root))
    queued_wait(operator, sam_made["token"], witness)
    engineers = {"alex": alex_made["token"], "sam": sam_made["token"]}
    anyio.run(negotiate, operator, engineers, tmp_path, witness)
    head = alex.git(clone.root, "rev-parse", "HEAD").strip()
    refs = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
    pushed = alex.run("coord-hook", "pre-push", "origin", str(clone.origin), cwd=clone.root,
                      stdin=refs)  # fmt: skip
    witness.command("pre-push", pushed)
    op_env = {"COORD_API_URL": operator.url, "COORD_AUTH_TOKEN": operator.token}
    witness.command("tokens list", operator.user.coord("tokens", "list", **op_env))
    # `coord status` shows its own user the local service's token on purpose: stderr only.
    witness.command("status", operator.user.coord("status"), stdout=False)
    log = operator.user.home / "coord-api.log"
    witness.keep("service log", log.read_text(encoding="utf-8"))
    assert "Traceback" not in witness.seen[next(k for k in witness.seen if "service log" in k)]
    during_mcp = next(text for key, text in witness.seen.items() if "an MCP session" in key)
    assert "coord-mcp" in during_mcp  # ps saw the long-lived client it had to see
    assert witness.leaks(secrets) == []
