"""search library (never imports edoc)."""
