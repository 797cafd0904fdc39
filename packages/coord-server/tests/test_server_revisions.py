"""The migration check before a start: the head read from the scripts, and Alembic loaded only
for a database that is behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from coord_pg import PostgresDatabases

from coord_server.storage import make_engine, migrate, sqlite_url
from coord_server.storage._engine import _alembic_config, stored_revision
from coord_server.storage._revisions import read_revisions

PROBE = """
import json, sys
from coord_server.storage import make_engine, migrate
engine = make_engine(sys.argv[1])
head = migrate(engine)
engine.dispose()
print(json.dumps({"head": head, "alembic": "alembic" in sys.modules}))
"""


def migrate_in_a_fresh_interpreter(url: str) -> dict[str, object]:
    """`migrate(url)` in a new process: the head it returns, and whether Alembic got loaded."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COORD_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], capture_output=True, text=True, env=environment,
        check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_scripts_name_the_revisions_alembic_knows() -> None:
    script = ScriptDirectory.from_config(_alembic_config())

    revisions = read_revisions()

    assert revisions.head == script.get_current_head()
    assert revisions.known == {revision.revision for revision in script.walk_revisions()}


def test_merges_annotations_and_several_heads_are_read(tmp_path: Path) -> None:
    scripts = {
        "a.py": 'revision = "a"\ndown_revision = None\n',
        "b.py": "revision: str = 'b'\ndown_revision: str | None = 'a'\n",
        "c.py": 'revision = "c"\ndown_revision = "a"\n',
        "__init__.py": '"""Migration scripts."""\n',
    }
    for name, text in scripts.items():
        (tmp_path / name).write_text(text)

    assert read_revisions(tmp_path).head is None  # b and c: two heads, Alembic decides
    (tmp_path / "d.py").write_text('revision = "d"\ndown_revision = ("b", "c")\n')
    merged = read_revisions(tmp_path)

    assert merged.head == "d"
    assert merged.known == {"a", "b", "c", "d"}


def test_a_new_database_is_migrated_with_alembic(tmp_path: Path) -> None:
    result = migrate_in_a_fresh_interpreter(sqlite_url(tmp_path / "coord.db"))

    assert result == {"head": read_revisions().head, "alembic": True}


def test_a_database_at_head_starts_without_loading_alembic(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "coord.db")
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()

    result = migrate_in_a_fresh_interpreter(url)

    assert result == {"head": read_revisions().head, "alembic": False}


def test_a_database_one_revision_behind_is_brought_to_head(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "coord.db"))
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_revision("head")
    assert head is not None and isinstance(head.down_revision, str)
    with engine.begin() as connection:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, head.down_revision)

    migrated = migrate(engine)

    with engine.connect() as connection:
        assert stored_revision(connection) == migrated == head.revision
    engine.dispose()


@pytest.mark.postgres
def test_postgres_at_head_starts_without_loading_alembic(
    postgres_databases: PostgresDatabases,
) -> None:
    with postgres_databases.fresh() as url:
        result = migrate_in_a_fresh_interpreter(url)

    assert result == {"head": read_revisions().head, "alembic": False}
