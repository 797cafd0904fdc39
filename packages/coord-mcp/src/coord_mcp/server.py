"""The MCP server of the coord tools, independent of the transport that carries it.

`build_server(callers)` gives a low-level SDK `Server` listing the coord tools; `callers`
supplies, for each call, the client and identity to act with. The stdio bridge passes one
fixed caller; the service's `/mcp` endpoint builds one per HTTP request.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from coord_mcp.caller import CallerSource
from coord_mcp.results import Refusal, ToolResult, refused
from coord_mcp.tools import TOOLS, ToolSpec
from coord_protocol.text import printable

logger = logging.getLogger("coord_mcp.server")

SERVER_NAME = "coord"

INSTRUCTIONS = """\
coord is the shared record of who is editing which files right now, across every agent working \
on this repository. Follow this protocol:
1. Before the first edit of any file, call claim_files with your engineer name and every file \
or glob you will change. Edit only what was granted.
2. If refused, read next_step: wait in the queue (claim_files with wait_seconds), claim only the \
symbols you need, or request_release from the holder. Never edit files someone else holds.
3. When done with files, call release_claims with your claim ids (or release_session at the \
end of the task).
4. Between tasks, call pending_requests and answer requests for your claims, and reconcile to \
find files you changed without a claim and claims you no longer use.
Every tool result carries ok, summary, next_step and refusal beside the service's answer, whose \
fields (claim_ids, conflicts, safe, requests, queue_id, ...) are top-level: read next_step."""
"""Sent to the agent when it connects."""


def server_version() -> str:
    """The installed coord-mcp version."""
    try:
        return version("coord-mcp")
    except PackageNotFoundError:  # pragma: no cover - only from a bare source tree
        return "0.0.0"


HEARTBEAT_SEC = 10.0
"""How often a running tool call reports progress (only to clients that asked for progress)."""


def build_server(
    callers: CallerSource, tools: Sequence[ToolSpec] = TOOLS, heartbeat: float = HEARTBEAT_SEC
) -> Server[Any]:
    """A low-level MCP server serving `tools`, acting through the callers `callers` gives."""
    catalogue = {tool.name: tool for tool in tools}
    definitions = [tool.definition() for tool in tools]

    async def list_tools(
        _ctx: ServerRequestContext[Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=definitions)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = catalogue.get(params.name)
        if tool is None:
            known = ", ".join(catalogue)
            raise MCPError(types.INVALID_PARAMS, f"unknown tool {params.name!r}; known: {known}")
        run = _run(tool, callers, ctx.request, params.arguments or {})
        return call_result(await _with_heartbeat(ctx, run, heartbeat))

    return Server(
        SERVER_NAME,
        version=server_version(),
        title="coord",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def _run(
    tool: ToolSpec, callers: CallerSource, request: object | None, arguments: dict[str, Any]
) -> ToolResult:
    try:
        async with callers(request) as caller:
            return await tool.invoke(caller, arguments)
    except Exception:  # the tool boundary: an agent gets data, the log gets the traceback
        logger.exception("tool %s failed unexpectedly", tool.name)
        refusal = Refusal(code="internal", detail=f"{tool.name} failed inside coord-mcp")
        step = "Call it again once; if it fails again, the MCP server's stderr log says why."
        return refused(refusal, step)


async def _with_heartbeat(
    ctx: ServerRequestContext[Any], run: Awaitable[ToolResult], every: float
) -> ToolResult:
    # A queue wait may last 600 s; progress tells clients that count silence as a hang
    # that the call is alive. Without a progress token, report_progress sends nothing.
    async with anyio.create_task_group() as beats:
        beats.start_soon(_beat, ctx, every)
        outcome = await run
        beats.cancel_scope.cancel()
    return outcome


async def _beat(ctx: ServerRequestContext[Any], every: float) -> None:
    started = time.monotonic()
    while True:
        await anyio.sleep(every)
        waited = round(time.monotonic() - started)
        try:
            await ctx.session.report_progress(waited, None, f"still waiting ({waited} s)")
        except Exception as exc:  # a transport without a back channel: stop reporting
            logger.debug("progress report failed, stopping: %s", exc)
            return


def call_result(outcome: ToolResult) -> types.CallToolResult:
    """The MCP answer: the flat result as structured content and as JSON text for older clients.

    Every string is shown `printable`: names and descriptions other engineers wrote (some
    stored before coord refused control characters) reach the agent's context as visible
    escapes, never as terminal sequences or hidden bidirectional text.
    """
    structured = _printable(outcome.structured())
    internal = outcome.refusal is not None and outcome.refusal.code == "internal"
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(structured, indent=1))],
        structured_content=structured,
        is_error=internal,
    )


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable(item) for item in value]
    return value
