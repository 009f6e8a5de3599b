"""FAQ: schema, loading and checking with line numbers, the search index, hot reload."""
