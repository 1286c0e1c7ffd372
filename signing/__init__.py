"""PDF signing and validation with pyHanko and PKCS#11 tokens (never imports edoc).

Design: docs/signing.md; the agent's protocol: signing/AGENT.md.
"""
