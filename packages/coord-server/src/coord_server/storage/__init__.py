"""Storage: the only place that knows which database is underneath (SPEC §14).

`open_database(url)` gives the SQLite or PostgreSQL `Database`; `Store` groups its tables by
family. `migrate` brings a schema up to date (on PostgreSQL under a lock, so replicas starting
together migrate once), and `InstanceLock` keeps a second process off a SQLite file.
"""

from coord_server.storage._database import Database, Lease, open_database
from coord_server.storage._engine import SchemaError, make_engine, migrate, sqlite_url
from coord_server.storage._transaction import Row, Transaction
from coord_server.storage.claims import RepoState, repo_key
from coord_server.storage.lock import InstanceLock, InstanceLockError
from coord_server.storage.store import Store

__all__ = [
    "Database",
    "InstanceLock",
    "InstanceLockError",
    "Lease",
    "RepoState",
    "Row",
    "SchemaError",
    "Store",
    "Transaction",
    "make_engine",
    "migrate",
    "open_database",
    "repo_key",
    "sqlite_url",
]
