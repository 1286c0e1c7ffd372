"""Being told what is waiting: notifications from document events and deadlines, the bell and
its page, e-mail through an outbox the worker sends, the daily digest and each person's
preferences."""
