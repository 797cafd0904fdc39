"""Advisory lock that keeps a second server process off one SQLite file (SPEC §14)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class InstanceLockError(Exception):
    """Another process already serves this database."""


class InstanceLock:
    """An exclusive `flock` on `<database>.lock`, held for the life of the process."""

    def __init__(self, database_path: Path) -> None:
        self.path = database_path.with_name(database_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `InstanceLockError` naming the file and the way out."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InstanceLockError(
                f"another coord-api process already uses this database (lock {self.path} is "
                "held). Stop it first, point COORD_DATABASE_PATH elsewhere, or, on a file "
                "system where flock is unreliable, set COORD_DISABLE_INSTANCE_LOCK=true."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
