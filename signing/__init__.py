"""signing library (never imports edoc)."""
