"""coord-cli: the `coord` command (start a local service, wire a repository, check, operate)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coord-cli")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
