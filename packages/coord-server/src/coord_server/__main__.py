"""`coord-api`: run the service with uvicorn, configured from `COORD_*` variables."""

from __future__ import annotations

import gc
import json
import logging
import os
import sys

import uvicorn

from coord_server._http_protocol import HttpProtocol
from coord_server.app import create_app
from coord_server.settings import (
    Settings,
    SettingsError,
    insecure_warnings,
    load_settings,
    unknown_variables,
)
from coord_server.storage import (
    InstanceLock,
    InstanceLockError,
    SchemaError,
    make_engine,
    migrate,
    sqlite_url,
)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    level = "DEBUG" if settings.log_level == "trace" else settings.log_level.upper()
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if level != "DEBUG":
        # Each migration step is an INFO line; at start-up they bury the lines that matter.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _take_instance_lock(settings: Settings) -> InstanceLock | None:
    """The database's instance lock, taken before uvicorn starts (None when not wanted).

    Taken in the app's lifespan instead, a refusal would reach the operator as a uvicorn
    traceback; here it is one line on stderr.
    """
    if settings.database_backend != "sqlite" or settings.disable_instance_lock:
        return None
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    lock = InstanceLock(settings.database_path)
    lock.acquire()
    return lock


def _migrate(settings: Settings) -> None:
    """Bring the schema up to date before serving, so a refusal is one line, not a traceback."""
    engine = make_engine(settings.database_url or sqlite_url(settings.database_path))
    try:
        migrate(engine)
    finally:
        engine.dispose()


def main() -> None:
    """Start the server, or explain on stderr why it cannot start (exit 2)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"coord-api: {exc}\n")
        raise SystemExit(2) from None
    _configure_logging(settings)
    for warning in [*unknown_variables(os.environ), *insecure_warnings(settings)]:
        logging.getLogger("coord.settings").warning("%s", warning)
    try:
        lock = _take_instance_lock(settings)
    except InstanceLockError as exc:
        sys.stderr.write(f"coord-api: {exc}\n")
        raise SystemExit(2) from None
    if lock is not None:  # held until the process exits; the app must not take it again
        settings = settings.model_copy(update={"disable_instance_lock": True})
    try:
        _migrate(settings)
    except SchemaError as exc:
        sys.stderr.write(f"coord-api: {exc}\n")
        raise SystemExit(2) from None
    app = create_app(settings)
    # What import and start-up built lives as long as the process: keeping it out of the cyclic
    # collector makes each full collection (triggered by the engine's searches) a third cheaper.
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=settings.bind_host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,
        access_log=settings.log_level in {"debug", "trace"},
        proxy_headers=True,
        http=HttpProtocol,
        limit_concurrency=settings.limit_concurrency,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
