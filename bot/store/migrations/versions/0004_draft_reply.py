"""Tickets carry the bot's drafted answer for the questions the FAQ covers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("draft_reply", sa.Text, nullable=False, server_default=sa.text("''")))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("draft_reply")
