"""Release requests, their audit timeline, inbox notices and ownership documents.

Revision ID: 0003
Revises: 0002
"""

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Tables for negotiation and ownership (filled in by the negotiation work)."""
