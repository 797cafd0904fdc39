"""coord-mcp."""

__all__: list[str] = []
