"""Background work of one replica: what runs beside the requests, and on which replica.

Every replica keeps its lease attempt, its signal listener and its event feed running. The
rest (expiry, the demote sweep, webhook delivery, retention, housekeeping) runs only while this
replica holds the leader lease, so on PostgreSQL one replica does it at a time and another
takes over within seconds when that one dies; on SQLite the only process always leads.
"""

from coord_server.background._runner import running

__all__ = ["running"]
