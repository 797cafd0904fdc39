"""The hooks' HTTP path: the standard library's `http.client`, plain JSON, one connection.

A hook runs on every edit an agent makes and on every push, so its cost is a Python start plus
the round trips it needs. The typed client of coord-protocol (httpx and the pydantic models)
takes longer to import than the whole call should take; the hooks speak the few routes they use
directly and read the answers as dictionaries (`_wire` turns them into small views).

Errors come out as the same `CoordError` the typed client raises: the server's error body when
there is one, `unavailable` when the service cannot be reached.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from coord_protocol.errors import CoordError, ErrorCode
from coord_protocol.local_env import PLACEHOLDER_TOKENS

HOOK_TIMEOUT_SEC = 10.0
"""Longest wait for one answer: a hook stands between a person (or agent) and their work."""

Params = Iterable[tuple[str, str]]
"""Query parameters, in order."""

_DEFAULT_PORTS = {"http": 80, "https": 443}

_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
"""Failures of a kept-alive connection the server closed between two requests."""


def segment(value: str) -> str:
    """`value` as one path segment: a `/` or `?` inside an id must not reach another route."""
    return quote(value, safe="")


class HookClient:
    """One keep-alive connection to the service, closed with `close()` or a `with` block."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        session_id: str | None = None,
        timeout: float = HOOK_TIMEOUT_SEC,
    ) -> None:
        self.base_url = base_url
        url = urlsplit(base_url)
        self._host, self._port = url.hostname or "", _port_of(url.scheme, base_url)
        if url.scheme not in _DEFAULT_PORTS or not self._host or self._port is None:
            raise CoordError(
                ErrorCode.BAD_REQUEST,
                f"COORD_API_URL {base_url!r} is not an http:// or https:// URL; fix it in "
                ".coordination/local.env or the environment.",
            )
        self._url = url
        self._prefix = url.path.rstrip("/")
        self._timeout = timeout
        self._headers = _headers(token, session_id)
        self._connection: http.client.HTTPConnection | None = None

    def __enter__(self) -> HookClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection, if one is open."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def get(self, path: str, params: Params = ()) -> Any:
        """`GET path?params`; the JSON answer of a 200."""
        return self.request("GET", path, params=params)

    def post(
        self,
        path: str,
        body: Mapping[str, Any] | None,
        params: Params = (),
        answers: Iterable[int] = (200,),
    ) -> Any:
        """`POST path` with a JSON body (or none); the JSON answer of a status in `answers`."""
        return self.request("POST", path, body, params, answers)

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Params = (),
        answers: Iterable[int] = (200,),
    ) -> Any:
        """Send one request; the decoded JSON answer, or the `CoordError` it carries."""
        query = urlencode(list(params))
        target = self._prefix + path + (f"?{query}" if query else "")
        payload = None if body is None else json.dumps(body).encode("utf-8")
        status, raw = self._exchange(method, target, payload)
        if status not in set(answers):
            raise error_from_answer(method, path, status, raw)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise CoordError(
                ErrorCode.INTERNAL,
                f"{method} {path} returned a body this client cannot read ({exc}); "
                "check that client and server versions agree (`coord doctor`).",
            ) from exc

    def _exchange(self, method: str, target: str, payload: bytes | None) -> tuple[int, bytes]:
        headers = dict(self._headers)
        if method != "GET":
            # Even without a body: the service refuses a bodyless POST a web form could have
            # sent unless it names a JSON type (SPEC §13: browser-safe bodies are refused).
            headers["Content-Type"] = "application/json"
        reused = self._connection is not None
        try:
            return self._send(method, target, payload, headers)
        except _STALE as exc:
            if not reused:
                raise self._unreachable(exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from exc
        try:  # the server closed the idle kept-alive connection: one fresh attempt
            return self._send(method, target, payload, headers)
        except (OSError, http.client.HTTPException) as exc:
            raise self._unreachable(exc) from exc

    def _send(
        self, method: str, target: str, payload: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, bytes]:
        connection = self._connection or self._connect()
        self._connection = connection
        try:
            connection.request(method, target, body=payload, headers=dict(headers))
            response = connection.getresponse()
            raw = response.read()
        except BaseException:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, raw

    def _connect(self) -> http.client.HTTPConnection:
        host, port = self._host, self._port
        if self._url.scheme == "https":
            import ssl  # noqa: PLC0415 - only an https service needs it

            context = ssl.create_default_context()
            return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self._timeout)

    def _unreachable(self, exc: BaseException) -> CoordError:
        return CoordError(
            ErrorCode.UNAVAILABLE,
            f"coord service at {self.base_url} is unreachable ({type(exc).__name__}: {exc}); "
            "start it with `coord start` or fix COORD_API_URL.",
        )


def _port_of(scheme: str, base_url: str) -> int | None:
    # Always explicit: given none, http.client would read the end of an IPv6 address as one.
    try:
        return urlsplit(base_url).port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # not a number, or out of range
        return None


def _headers(token: str | None, session_id: str | None) -> dict[str, str]:
    # As the typed client: a placeholder token is left out, never sent.
    headers = {"Accept": "application/json", "User-Agent": "coord-hook"}
    if token and token.strip() not in PLACEHOLDER_TOKENS:
        headers["Authorization"] = f"Bearer {token.strip()}"
    if session_id:
        headers["X-Coord-Session"] = session_id
    return headers


def error_from_answer(method: str, path: str, status: int, raw: bytes) -> CoordError:
    """The `CoordError` an error answer carries, or a clear one when it carries none."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        extra = {key: value for key, value in body.items() if key not in {"detail", "code"}}
        try:
            code = ErrorCode(body.get("code", ""))
        except ValueError:
            code = ErrorCode.INTERNAL
        return CoordError(code, body["detail"], status=status, **extra)
    return CoordError(
        ErrorCode.UNAVAILABLE if status >= 500 else ErrorCode.BAD_REQUEST,
        f"{method} {path} answered {status} without a coord error body; "
        "is the URL a coord service?",
        status=status,
    )
