"""``edoc-signer``: the local signing agent a leader runs on the PC where the USB token is.

See ``signing/AGENT.md`` for the HTTP protocol.
"""
