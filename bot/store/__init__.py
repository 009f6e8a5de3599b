"""Persistence: engine and session factories, tables, migrations, the ticket queue."""
