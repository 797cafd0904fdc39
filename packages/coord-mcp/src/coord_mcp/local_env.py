"""`.coordination/local.env` for coord-mcp: the shared reader lives in `coord_protocol.local_env`.

coord-mcp, coord-hook and coord all resolve the file the same way, so the parser moved to
coord-protocol; these names stay importable from here for existing callers.
"""

from coord_protocol.local_env import LOCAL_ENV, find_local_env, parse_local_env

__all__ = ["LOCAL_ENV", "find_local_env", "parse_local_env"]
