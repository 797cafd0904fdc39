"""The coord tools (SPEC §10.1; `reconcile`: §16): one definition each, served over stdio
and over HTTP.

A `ToolSpec` joins a tool's contract (name, description, argument model, result model) to its
handler. `invoke` is where arguments are validated and where errors become refusals, so every
handler can stay a thin call through the typed client.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from pydantic import BaseModel, ValidationError

from coord_mcp import _claiming, _negotiation, _reconciling
from coord_mcp.arguments import (
    CancelQueueRequestArguments,
    CheckConflictsArguments,
    ClaimFilesArguments,
    ExtendClaimsArguments,
    ListClaimsArguments,
    MyRequestsArguments,
    PendingRequestsArguments,
    ReconcileArguments,
    ReleaseClaimsArguments,
    ReleaseSessionArguments,
    RequestReleaseArguments,
    RespondToRequestArguments,
    ToolArguments,
    WaitForRequestArguments,
)
from coord_mcp.caller import Caller
from coord_mcp.refusals import error_refusal, invalid_arguments, invalid_request
from coord_mcp.results import ExtendedClaims, MyRequests, ToolResult, output_schema
from coord_protocol.claims import ClaimList, CreateClaimsResponse, ReleaseResponse
from coord_protocol.conflicts import ConflictCheckResponse
from coord_protocol.errors import CoordError
from coord_protocol.queue import CancelQueueResponse
from coord_protocol.requests import PendingRequests, ReleaseRequest

Handler = Callable[[Caller, Any], Awaitable[ToolResult]]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: its contract and its handler."""

    name: str
    """The tool name; agent instructions in users' repositories refer to it."""
    description: str
    """When to call it, what the result means, what to do next."""
    arguments: type[ToolArguments]
    """Argument model; its JSON schema is the tool's input schema."""
    payload: type[BaseModel]
    """Model of `result` in the `ToolResult` envelope."""
    handler: Handler
    """Does the work through the typed client."""
    not_found: str
    """Next step when an id the agent gave does not exist."""
    read_only: bool = False
    """True when the tool changes nothing."""

    def definition(self) -> types.Tool:
        """The MCP tool definition listed by `tools/list`."""
        return types.Tool(
            name=self.name,
            description=self.description,
            input_schema=self.arguments.model_json_schema(),
            output_schema=output_schema(self.payload),
            annotations=types.ToolAnnotations(
                title=self.name.replace("_", " "),
                read_only_hint=self.read_only,
                destructive_hint=False,
                idempotent_hint=self.read_only,
                open_world_hint=False,
            ),
        )

    async def invoke(self, caller: Caller, arguments: Mapping[str, Any]) -> ToolResult:
        """Validate `arguments`, run the handler, and turn every refusal into data."""
        try:
            parsed = self.arguments.model_validate(dict(arguments))
        except ValidationError as exc:
            return invalid_arguments(self.name, exc)
        try:
            return await self.handler(caller, parsed)
        except CoordError as error:
            return error_refusal(error, caller.hints, self.not_found)
        except ValidationError as exc:  # the wire model refuses an argument or a setting
            return invalid_request(self.name, exc, caller.hints)


_LIST_CLAIMS_FIRST = "list_claims shows the claims that exist and their ids."

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="claim_files",
        description=(
            "Claim files before you edit them, so no other agent edits them at the same time. "
            "Call it BEFORE the first edit of any file, with every file or glob you will "
            "change. Granted (ok=true): edit them, then call release_claims with the returned "
            "claim_ids when done. Refused (ok=false): someone else holds an overlapping claim; "
            "refusal.blockers names each holder, what they hold and until when, and next_step "
            "says what to do: call again with wait_seconds (up to 600) to wait in the queue and "
            "be granted the moment they release; claim only the functions you need with "
            "`symbols` (agents editing different functions of one file coexist); or ask them "
            "with request_release. Never edit files you were refused."
        ),
        arguments=ClaimFilesArguments,
        payload=CreateClaimsResponse,
        handler=_claiming.claim_files,
        not_found=_LIST_CLAIMS_FIRST,
    ),
    ToolSpec(
        name="check_conflicts",
        description=(
            "Ask, without claiming anything, whether files (or symbols) are held by another "
            "engineer: use it to plan or before a push. safe=true means nobody else "
            "holds them (still claim_files before editing); otherwise conflicts lists "
            "each holder with pattern and expiry, and next_step lists your options."
        ),
        arguments=CheckConflictsArguments,
        payload=ConflictCheckResponse,
        handler=_claiming.check_conflicts,
        not_found=_LIST_CLAIMS_FIRST,
        read_only=True,
    ),
    ToolSpec(
        name="list_claims",
        description=(
            "List the active claims of this repository: who holds what, until when, with claim "
            "ids. Use it to see who is working where, to find your own claim ids (filter with "
            "engineer), or with active_only=false for the history."
        ),
        arguments=ListClaimsArguments,
        payload=ClaimList,
        handler=_claiming.list_claims,
        not_found=_LIST_CLAIMS_FIRST,
        read_only=True,
    ),
    ToolSpec(
        name="release_claims",
        description=(
            "Release claims as soon as you are done with their files (edits saved or "
            "committed), so agents waiting for them are granted at once. Pass the claim_ids "
            "claim_files returned (list_claims finds them again). released counts the "
            "claims released."
        ),
        arguments=ReleaseClaimsArguments,
        payload=ReleaseResponse,
        handler=_claiming.release_claims,
        not_found=_LIST_CLAIMS_FIRST,
    ),
    ToolSpec(
        name="extend_claims",
        description=(
            "Keep your claims longer when the work takes more time than their expiry: sets a "
            "new lifetime of ttl_hours from now. Claims that already expired cannot be "
            "extended (failed says so): claim them again with claim_files."
        ),
        arguments=ExtendClaimsArguments,
        payload=ExtendedClaims,
        handler=_claiming.extend_claims,
        not_found=_LIST_CLAIMS_FIRST,
    ),
    ToolSpec(
        name="request_release",
        description=(
            "Ask the holder of a claim that blocks you to release or narrow it. Use the "
            "claim_id from refusal.blockers of a refused claim_files, and say why. The "
            "holder's claim then expires sooner and they see your request in "
            "pending_requests. With wait_seconds the call waits for their answer; otherwise "
            "use wait_for_request. When approved, claim_files the files."
        ),
        arguments=RequestReleaseArguments,
        payload=ReleaseRequest,
        handler=_negotiation.request_release,
        not_found="The claim is gone or the id is wrong: list_claims shows the current claims.",
    ),
    ToolSpec(
        name="respond_to_request",
        description=(
            "Answer a release request filed against one of your claims (see pending_requests): "
            "approved releases your claim to the requester; denied keeps it; narrowed keeps "
            "only narrowed_pattern; coexist lets the requester work beside you "
            "(coexist_pattern or coexist_symbols). Approve when you no longer need the files."
        ),
        arguments=RespondToRequestArguments,
        payload=ReleaseRequest,
        handler=_negotiation.respond_to_request,
        not_found="pending_requests lists the requests you can answer.",
    ),
    ToolSpec(
        name="wait_for_request",
        description=(
            "Wait until a release request you filed is answered, up to timeout seconds. "
            "state is `pending` if the holder has not answered yet; otherwise "
            "decision says what they decided and next_step what to do now."
        ),
        arguments=WaitForRequestArguments,
        payload=ReleaseRequest,
        handler=_negotiation.wait_for_request,
        not_found="my_requests lists the release requests you filed.",
        read_only=True,
    ),
    ToolSpec(
        name="pending_requests",
        description=(
            "Read your inbox: release requests other agents filed against your claims (answer "
            "each with respond_to_request) and notices about your claims (someone was refused "
            "because of them; your file claim was narrowed around someone's symbols). Check it "
            "between tasks."
        ),
        arguments=PendingRequestsArguments,
        payload=PendingRequests,
        handler=_negotiation.pending_requests,
        not_found="Check the session id; without one, this server's own session is used.",
        read_only=True,
    ),
    ToolSpec(
        name="my_requests",
        description=(
            "List what you are waiting for: with queued=true your claim requests waiting in "
            "the queue (and whose claim each waits on); otherwise the release requests you "
            "filed, optionally filtered by decision."
        ),
        arguments=MyRequestsArguments,
        payload=MyRequests,
        handler=_negotiation.my_requests,
        not_found="Nothing of that name exists; call my_requests without filters.",
        read_only=True,
    ),
    ToolSpec(
        name="cancel_queue_request",
        description=(
            "Give up waiting for a queued claim (queue_id from my_requests(queued=true)): the "
            "waiting claim_files call returns refused at once. Use it when you decide to work "
            "on something else."
        ),
        arguments=CancelQueueRequestArguments,
        payload=CancelQueueResponse,
        handler=_negotiation.cancel_queue_request,
        not_found=(
            "That entry is no longer waiting (granted, timed out or cancelled): "
            "my_requests(queued=true) lists the waiting ones."
        ),
    ),
    ToolSpec(
        name="release_session",
        description=(
            "Release every claim of this agent session at once, e.g. when your task is "
            "finished or abandoned. The session stays usable: you may claim again afterwards."
        ),
        arguments=ReleaseSessionArguments,
        payload=ReleaseResponse,
        handler=_claiming.release_session,
        not_found="Check the session id; without one, this server's own session is used.",
    ),
    ToolSpec(
        name="reconcile",
        description=(
            "Compare your working tree with your claims: undeclared_edits lists changed files "
            "none of your claims covers (with who holds each, if anyone, and a fix), "
            "idle_claims lists your claims whose files have not changed for idle_minutes. Call "
            "it before committing and between tasks; then claim_files the free files, ask or "
            "queue for the held ones, and release_claims the idle ones. Runs in your checkout "
            "(the stdio bridge); the service's /mcp endpoint has no working tree and refuses."
        ),
        arguments=ReconcileArguments,
        payload=_reconciling.ReconcileResult,
        handler=_reconciling.reconcile_tool,
        not_found=_LIST_CLAIMS_FIRST,
        read_only=True,
    ),
)
"""Every coord tool, in the order `tools/list` shows them."""

TOOL_NAMES: tuple[str, ...] = tuple(tool.name for tool in TOOLS)
"""The tool names: the twelve of SPEC §10.1, then `reconcile` (SPEC §16)."""
