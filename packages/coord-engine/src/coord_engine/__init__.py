"""coord-engine."""

__all__: list[str] = []
