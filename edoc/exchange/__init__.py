"""Interconnection with other agencies' systems in edXML (QCVN 102:2016): peers, the outbox of
packages in and out, statuses, recall, the hub role, transports and files."""
