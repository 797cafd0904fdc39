"""Webhook outbox and event-stream support.

Revision ID: 0002
Revises: 0001
"""

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Tables for durable webhook delivery (filled in by the webhook work)."""
