"""The engine is pure: importing it loads no I/O, process, database or event-loop module."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("socket", "subprocess", "sqlite3", "asyncio", "tree_sitter", "coord_server")


def test_importing_the_engine_loads_no_io_module() -> None:
    probe = (
        "import sys\n"
        "import coord_engine, coord_engine.decide, coord_engine.queue, coord_engine.index\n"
        "import coord_engine.overlap, coord_engine.owners, coord_engine.owners_edit\n"
        "import coord_engine.hotspots, coord_engine.symbol_paths\n"
        f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"importing coord_engine loaded: {loaded}"
