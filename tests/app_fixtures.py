"""Application fixtures (filled by the foundation)."""
