"""Background work on Huey: text extraction and OCR, indexing, export packages, audit
checkpoints — never inside a web request.

The queue is SQLite under the data directory by default (``make run`` starts one consumer beside
the web server) and Redis in production (``EDOC_QUEUE_URL=redis://…``). Jobs (``models.Job``)
store a long task's progress; the outbox (``outbox.py``) carries changes to the search index.
"""
