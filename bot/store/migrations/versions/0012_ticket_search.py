"""Full-text search over the fans' and operators' words on tickets.

Chinese has no spaces between words, so both databases index character trigrams: PostgreSQL a
GIN index with pg_trgm (for ILIKE '%...%'), SQLite an FTS5 table with the trigram tokenizer kept
in step with ticket_messages by triggers. Searches shorter than three characters scan instead.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE = [
    "CREATE VIRTUAL TABLE ticket_search USING fts5(original_text, content='ticket_messages', "
    "content_rowid='id', tokenize='trigram')",
    "INSERT INTO ticket_search(rowid, original_text) SELECT id, original_text FROM ticket_messages",
    "CREATE TRIGGER ticket_search_insert AFTER INSERT ON ticket_messages BEGIN "
    "INSERT INTO ticket_search(rowid, original_text) VALUES (new.id, new.original_text); END",
    "CREATE TRIGGER ticket_search_delete AFTER DELETE ON ticket_messages BEGIN "
    "INSERT INTO ticket_search(ticket_search, rowid, original_text) VALUES ('delete', old.id, old.original_text); END",
    "CREATE TRIGGER ticket_search_update AFTER UPDATE ON ticket_messages BEGIN "
    "INSERT INTO ticket_search(ticket_search, rowid, original_text) VALUES ('delete', old.id, old.original_text); "
    "INSERT INTO ticket_search(rowid, original_text) VALUES (new.id, new.original_text); END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # In `public`, named in full: a schema of its own (as the tests use) may be dropped, the extension stays.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        op.execute("CREATE INDEX ix_ticket_messages_trgm ON ticket_messages USING gin "
                   "(original_text public.gin_trgm_ops)")
    elif op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_ticket_messages_trgm")
    elif op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER ticket_search_{name}")
        op.execute("DROP TABLE ticket_search")
