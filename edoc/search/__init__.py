"""Finding documents: what the index holds about each one, the outbox that feeds it, the pages."""
