"""Backups that restore: ``edoc backup`` and ``edoc restore`` (docs/operations.md)."""
