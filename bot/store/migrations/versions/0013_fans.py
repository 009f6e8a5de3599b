"""What the desk knows about a fan across comments and DMs: the spammer mark and notes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fans",
        sa.Column("fan_id", sa.String(64), primary_key=True),
        sa.Column("spammer", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("marked_by", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "fan_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fan_id", sa.String(64), nullable=False, index=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tickets_fan", "tickets", ["fan_id", "created_at"])
    op.create_index("ix_outbox_receiver", "outbox", ["receiver_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_receiver", "outbox")
    op.drop_index("ix_tickets_fan", "tickets")
    op.drop_table("fan_notes")
    op.drop_table("fans")
