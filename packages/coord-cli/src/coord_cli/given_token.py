"""The engineer token `coord init --token` stores: given as text, or read from stdin.

`--token -` reads stdin, so the secret stays off the command line (and out of `ps` and shell
history). Stdin may hold the bare token or the JSON that `coord tokens create --json` prints,
so `coord tokens create alex --json | coord init --token -` works in one line; the JSON also
says which engineer and repo the token is for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TextIO

from coord_cli.errors import CliError, ExitCode
from coord_protocol.local_env import is_placeholder

FROM_STDIN = "-"
"""The `--token` value that means: read it from stdin."""

MAX_INPUT_CHARS = 64 * 1024
"""More than any token or `tokens create --json` answer; a stray file piped in is refused."""


@dataclass(frozen=True, slots=True)
class GivenToken:
    """A token to store, and what its JSON said about it."""

    token: str
    engineer: str | None = None
    """The engineer it acts as, when the JSON of `coord tokens create` said so."""
    repo: str | None = None
    """The one repo it is bound to, when the JSON said so."""


def read_given_token(value: str, stdin: TextIO) -> GivenToken:
    """The token `--token value` names: `value` itself, or stdin when `value` is `-`."""
    text = stdin.read(MAX_INPUT_CHARS + 1) if value == FROM_STDIN else value
    if len(text) > MAX_INPUT_CHARS:
        raise _bad("the input is far longer than a token")
    text = text.strip()
    given = _from_json(text) if text.startswith("{") else GivenToken(text)
    return _checked(given)


def _from_json(text: str) -> GivenToken:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        raise _bad("the input starts like JSON but is not valid JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("token"), str):
        raise _bad('the JSON has no "token" string')
    return GivenToken(
        parsed["token"].strip(), _text(parsed.get("engineer")), _text(parsed.get("repo"))
    )


def _checked(given: GivenToken) -> GivenToken:
    if is_placeholder(given.token):
        raise _bad("no token was given")
    if any(character.isspace() for character in given.token):
        raise _bad("a token is one word, without spaces or line breaks")
    return given


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _bad(problem: str) -> CliError:
    return CliError(
        f"--token: {problem}",
        "pipe the output of `coord tokens create ENGINEER --json` into `coord init --token -`, "
        "or paste the token when `--token -` waits for it",
        ExitCode.USAGE,
    )
