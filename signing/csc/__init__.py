"""The Cloud Signature Consortium (CSC) API v2: the pieces of a signing service and a client.

``activation`` issues and checks signature activation data (SAD) bound to exact hashes;
``protocol`` reads CSC requests (v2 names, and the v1 names pyHanko's client sends) and writes
CSC answers; ``keys`` signs hashes with a key that stays in a PKCS#11 module and checks the
certificate (validity, revocation) first; ``client`` is the caller's side for commercial
providers. Nothing here knows about users or a database: the service that keeps accounts,
second factors and single-use records is the application's (edoc's ``remote_signing`` area).
Why and how: signing/REMOTE.md.
"""
