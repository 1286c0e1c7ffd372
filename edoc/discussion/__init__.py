"""The discussion thread (trao đổi) on each document: short messages among those who may see
it, with @mentions. Who is told of a mention is the notifications area's business: it hears
``document.message_posted`` through :data:`edoc.core.signals.document_event`."""
