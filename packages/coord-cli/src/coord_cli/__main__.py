"""Console entry point of coord-cli: one boundary that turns every failure into one line.

No traceback reaches the user: a `CliError` prints its message and fix, a service error prints
what the service said with the next step, anything unexpected prints a short report line
(`COORD_DEBUG=1` shows the traceback).
"""

from __future__ import annotations

import os
import sys
import traceback

from coord_cli import completion
from coord_cli._failures import describe_service_error
from coord_cli.app import app
from coord_cli.errors import CliError, ExitCode
from coord_protocol.errors import CoordError
from coord_protocol.text import printable


def main() -> None:
    """Run `coord` with the process arguments; exit with a meaningful status."""
    completion.enable()
    try:
        app(prog_name="coord")
    except CliError as exc:
        _fail(exc.lines(), exc.code)
    except CoordError as exc:
        failure = describe_service_error(exc)
        _fail(failure.lines(), failure.code)
    except KeyboardInterrupt:
        _fail(["coord: interrupted"], ExitCode.INTERRUPTED)
    except Exception as exc:  # the boundary: report, never a traceback by default
        if os.environ.get("COORD_DEBUG") == "1":
            traceback.print_exc()
        _fail(
            [
                f"coord: unexpected error: {type(exc).__name__}: {exc}",
                "  fix: rerun with COORD_DEBUG=1 to see where, and report it to coord's authors",
            ],
            ExitCode.FAILED,
        )


def _fail(lines: list[str], code: ExitCode) -> None:
    # A service's detail may quote what another engineer wrote: escape control characters.
    sys.stderr.write("\n".join(printable(line) for line in lines) + "\n")
    raise SystemExit(int(code))


if __name__ == "__main__":
    main()
