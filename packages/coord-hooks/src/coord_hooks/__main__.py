"""Console entry point of coord-hooks."""

import sys


def main() -> None:
    """Not built yet: say so instead of pretending to work."""
    sys.stderr.write("coord-hooks is not available in this release yet.\n")
    raise SystemExit(2)


if __name__ == "__main__":
    main()
