"""coord-hooks."""

__all__: list[str] = []
