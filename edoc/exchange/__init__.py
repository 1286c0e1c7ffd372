"""Exchange with other agencies' systems (edXML, QCVN 102:2016)."""
