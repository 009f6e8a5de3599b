"""What the reports need: why each message ended as it did, which FAQ entries answered it, who the
fan is (Weibo's comment objects carry the follower count and the verified flag); a suggestion may
add alternates to an existing entry instead of a new entry.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("reason", sa.String(64), nullable=True))
        batch.add_column(sa.Column("faq_ids", sa.String(512), nullable=True))
        batch.add_column(sa.Column("followers_count", sa.Integer, nullable=True))
        batch.add_column(sa.Column("verified", sa.Integer, nullable=True))
    op.create_index("ix_inbox_created", "inbox", ["created_at"])
    op.create_index("ix_inbox_sender", "inbox", ["sender_id", "created_at"])
    with op.batch_alter_table("faq_suggestions") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default=sa.text("'entry'")))
        batch.add_column(sa.Column("target_faq_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("faq_suggestions") as batch:
        batch.drop_column("target_faq_id")
        batch.drop_column("kind")
    op.drop_index("ix_inbox_sender", "inbox")
    op.drop_index("ix_inbox_created", "inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("verified")
        batch.drop_column("followers_count")
        batch.drop_column("faq_ids")
        batch.drop_column("reason")
