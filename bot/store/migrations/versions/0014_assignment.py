"""Assignment: operators say when they take tickets, each up to a cap, in turn.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("available", sa.Integer, nullable=False, server_default=sa.text("0")))
        batch.add_column(sa.Column("cap", sa.Integer, nullable=False, server_default=sa.text("5")))
        batch.add_column(sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("last_assigned_at")
        batch.drop_column("cap")
        batch.drop_column("available")
