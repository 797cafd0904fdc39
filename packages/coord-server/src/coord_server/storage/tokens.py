"""`api_tokens`: per-engineer tokens by the hash of their secret (SPEC §13)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from coord_server.storage import schema
from coord_server.storage._database import Database
from coord_server.storage._transaction import Row


class TokenRows:
    """Rows of `api_tokens`; the secret itself is never given to this family."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, row: Row) -> None:
        """Store a new token's row."""
        async with self.db.transaction() as tx:
            await tx.execute(insert(schema.api_tokens).values(**row))

    async def by_hash(self, token_hash: str) -> Row | None:
        """The row whose secret hashes to `token_hash`, revoked or not."""
        table = schema.api_tokens
        rows = await self.db.read(select(table).where(table.c.token_hash == token_hash))
        return rows[0] if rows else None

    async def get(self, token_id: str) -> Row | None:
        """One token's row by id."""
        table = schema.api_tokens
        rows = await self.db.read(select(table).where(table.c.id == token_id))
        return rows[0] if rows else None

    async def listing(self) -> list[Row]:
        """Every token, newest first."""
        table = schema.api_tokens
        return await self.db.read(select(table).order_by(table.c.created_at.desc(), table.c.id))

    async def revoke(self, token_id: str, at: datetime) -> bool:
        """Mark a token revoked; False when it does not exist or was revoked already."""
        table = schema.api_tokens
        statement = (
            update(table)
            .where(table.c.id == token_id, table.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        async with self.db.transaction() as tx:
            return int((await tx.execute(statement)).rowcount or 0) > 0

    async def replace_secret(self, token_id: str, token_hash: str) -> bool:
        """Give a live token a new secret (the old one stops working with this commit)."""
        table = schema.api_tokens
        statement = (
            update(table)
            .where(table.c.id == token_id, table.c.revoked_at.is_(None))
            .values(token_hash=token_hash)
        )
        async with self.db.transaction() as tx:
            return int((await tx.execute(statement)).rowcount or 0) > 0

    async def used(self, token_id: str, at: datetime) -> None:
        """Record when a token was last used."""
        table = schema.api_tokens
        async with self.db.transaction() as tx:
            await tx.execute(update(table).where(table.c.id == token_id).values(last_used_at=at))
