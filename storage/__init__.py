"""storage library (never imports edoc)."""
