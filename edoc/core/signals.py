"""What core announces for the areas above it, so that core never imports them.

Receivers are connected by the area that acts on the signal (audit records a refusal), in its
``init_…(app)`` called from :func:`edoc.app.create_app`.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A request refused for a security reason (a missing role, a failed CSRF check). Sent with
#: ``action`` (the audit action, e.g. ``security.csrf_rejected``), ``user`` (the signed-in
#: person, or None) and the refusal's details as keyword arguments.
security_refused = _signals.signal("security-refused")

#: Something happened to a document (an audit entry was just written about it, in the same
#: transaction). Sent by :func:`edoc.documents.records.audit` with the action as sender
#: (``incoming.registered``, ``outgoing.issued`` …) and ``actor``, ``document_id`` and
#: ``details`` (the audit entry's details) as keyword arguments. Receivers may add rows to the
#: session (an outbox for another system), which commit or roll back with the change itself.
document_event = _signals.signal("document-event")
