"""Tests of the exchange area (edXML packages, peers, transports)."""
