"""Rasa's conversation trackers live in the product's database, with their last update for expiry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trackers",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("tracker", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_trackers_updated", "trackers", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_trackers_updated", "trackers")
    op.drop_table("trackers")
