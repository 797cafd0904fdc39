"""Storage: the only place that knows which database is underneath (SPEC §14)."""

from coord_server.storage._engine import SchemaError, make_engine, migrate, sqlite_url
from coord_server.storage.lock import InstanceLock, InstanceLockError
from coord_server.storage.store import Store, Transaction

__all__ = [
    "InstanceLock",
    "InstanceLockError",
    "SchemaError",
    "Store",
    "Transaction",
    "make_engine",
    "migrate",
    "sqlite_url",
]
