"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from edoc.app import create_app

app = create_app()
