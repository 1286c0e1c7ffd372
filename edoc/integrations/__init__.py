"""Links to other systems: webhooks that tell them of document events, and the inbound API
through which they send documents into the clerk's queue."""
