"""Background work on Huey: OCR, indexing, exports, reminders — never inside a web request.

The queue is SQLite under the data directory by default (``make run`` starts one consumer beside
the web server) and Redis in production (``EDOC_QUEUE_URL=redis://…``).
"""
