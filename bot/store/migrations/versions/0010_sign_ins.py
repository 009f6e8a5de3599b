"""Every console sign-in attempt, for the log and for throttling guessed passwords.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("result IN ('ok', 'failed', 'throttled')", name="ck_sign_ins_result"),
    )
    op.create_index("ix_sign_ins_operator", "sign_ins", ["operator", "created_at"])
    op.create_index("ix_sign_ins_address", "sign_ins", ["address", "created_at"])
    op.create_index("ix_web_sessions_expires", "web_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_expires", "web_sessions")
    op.drop_table("sign_ins")
