"""The agency's seal key: a PKCS#11 token or HSM attached to the server.

Three users, one place: issuing seals documents with it (``outgoing.issuing``), the audit
checkpoints are signed with it (``audit.checkpoints``) and so are edXML packages and the
requests that carry them (``exchange``), so it lives below all of them, with the detached-CMS
adapter (:class:`AgencySigner`) and the trust roots (:func:`trusted_certificates`) they share.

Where the key is comes from the ``EDOC_AGENCY_TOKEN_*`` environment variables or, when
``EDOC_AGENCY_TOKEN_MODULE`` is unset, from the operator's file ``EDOC_AGENCY_TOKEN_FILE``
(default ``<data dir>/agency_token.json``, see :data:`FILE_FIELDS`). Both are read at each use,
so a token configured while the server runs is found without a restart. Neither holds the PIN:
only where it comes from (``…_PIN`` read at each batch, or a ``…_PIN_FILE`` readable only by the
service account).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pem
from flask import current_app
from flask_babel import gettext as _

from edoc.config import Settings
from edoc.core.errors import ServiceUnavailable
from signing.batch import BatchResult, DigestItem
from signing.detached import DigestSigner, sign_detached
from signing.errors import TokenError
from signing.server_signer import ServerSideSigner, ServerTokenConfig
from signing.tokens import CertificateInfo

PREFIX = "EDOC_AGENCY_TOKEN_"
#: What the operator's file may say (JSON object). ``softhsm2_conf``: for an agency key in a
#: SoftHSM2 store, the store's ``softhsm2.conf`` (the process switches to it before signing).
FILE_FIELDS = ("module", "token_label", "cert_label", "cert_serial", "pin_file", "softhsm2_conf")


@dataclass(frozen=True)
class AgencyToken:
    config: ServerTokenConfig
    softhsm2_conf: Path | None = None


def agency_token(settings: Settings, environ: Mapping[str, str] | None = None) -> AgencyToken:
    """The configured agency token; ``ValueError`` saying what is missing or wrong."""
    env = os.environ if environ is None else environ
    if env.get(f"{PREFIX}MODULE"):
        conf = env.get(f"{PREFIX}SOFTHSM2_CONF")
        return AgencyToken(ServerTokenConfig.from_env(env, PREFIX), Path(conf) if conf else None)
    path = settings.agency_token_path()
    if not path.is_file():
        raise ValueError(f"{PREFIX}MODULE is not set and {path} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        config = ServerTokenConfig(
            module_path=data["module"],
            token_label=data["token_label"],
            cert_label=data.get("cert_label"),
            cert_serial=data.get("cert_serial"),
            pin_env=None,
            pin_file=data.get("pin_file"),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: {error!r}") from None
    conf = data.get("softhsm2_conf")
    if not conf and data.get("softhsm_dir"):  # the file edoc demo wrote before 2026-12
        conf = str(Path(data["softhsm_dir"]) / "softhsm2.conf")
    return AgencyToken(config, Path(conf) if conf else None)


def write_agency_token_file(path: Path, token: AgencyToken) -> None:
    """Write the operator's file for ``token`` (an installer's or the demo's)."""
    config = token.config
    values = {
        "module": config.module_path,
        "token_label": config.token_label,
        "cert_label": config.cert_label,
        "cert_serial": config.cert_serial,
        "pin_file": config.pin_file,
        "softhsm2_conf": str(token.softhsm2_conf) if token.softhsm2_conf else None,
    }
    data = {key: value for key, value in values.items() if value is not None}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


#: One use of the agency token at a time in this process (gunicorn threads): python-pkcs11
#: creating the module twice at once finalises it under the other thread ("not initialized"),
#: and two logins on one token at once collide. Other processes have their own module.
_token_lock = threading.Lock()


def agency_signer() -> ServerSideSigner:
    """A signer on the agency key; 503 ``agency_signer_not_configured`` when there is none."""
    try:
        token = agency_token(current_app.config["EDOC"])
    except ValueError as error:
        raise ServiceUnavailable(
            "agency_signer_not_configured",
            _("Chưa cấu hình token ký số cơ quan (EDOC_AGENCY_TOKEN_MODULE, …)."),
        ) from error
    if token.softhsm2_conf is not None:
        _use_softhsm2_conf(token.config.module_path, token.softhsm2_conf)
    return _OneAtATimeSigner(token.config)


class _OneAtATimeSigner(ServerSideSigner):
    """The agency signer whose token operations (listing, one login per batch) are serialised
    in this process; preparing and finishing PDFs, the slow part, still run in parallel."""

    def certificate(self) -> CertificateInfo:
        with _token_lock:
            return super().certificate()

    def sign_digests(self, items: Sequence[DigestItem]) -> BatchResult:
        with _token_lock:
            return super().sign_digests(items)


def _use_softhsm2_conf(module_path: str, conf: Path) -> None:
    """SoftHSM2 reads its config once, when the module is loaded: reload it on another one.

    Under a lock: two requests issuing at once in a fresh gunicorn worker (threads) both saw
    the variable unset, and the second unloaded the module while the first was listing its
    tokens ("no token matching"), which the production journey test caught.
    """
    import pkcs11  # only a process that talks to the token loads python-pkcs11

    with _token_lock:  # never while another thread uses the module
        if os.environ.get("SOFTHSM2_CONF") == str(conf):
            return
        pkcs11.unload(module_path)
        os.environ["SOFTHSM2_CONF"] = str(conf)


def trusted_certificates() -> list[bytes]:
    """The CA certificates this installation trusts (DER), for embedding and for checking."""
    certificates = []
    for path in current_app.config["EDOC"].trust_roots():
        data = path.read_bytes()
        if pem.detect(data):
            certificates += [der for _type, _headers, der in pem.unarmor(data, multiple=True)]
        else:
            certificates.append(data)
    return certificates


@dataclass(frozen=True)
class AgencySigner:
    """The agency key as :func:`signing.detached.sign_detached` wants it: its certificate, a
    one-digest signer, the chain to embed and the TSA (when one is configured)."""

    certificate: CertificateInfo
    sign: DigestSigner
    chain: Sequence[bytes]
    tsa_url: str | None

    def sign_detached(self, data: bytes) -> bytes:
        """A DER detached CMS over ``data`` by the agency key."""
        return sign_detached(
            data,
            certificate=self.certificate,
            sign=self.sign,
            chain=self.chain,
            tsa_url=self.tsa_url,
        )


def agency_detached_signer(*, timestamp: bool = True) -> AgencySigner:
    """The agency token for detached signatures (raises ServiceUnavailable if none).

    ``timestamp=False``: no TSA round trip even when one is configured (a request signature
    that lives for minutes does not need one)."""
    signer = agency_signer()

    def sign(item: DigestItem) -> bytes:
        result = signer.sign_digests([item])
        if item.id not in result.signatures:
            raise result.error or TokenError("the agency token did not sign")
        return result.signatures[item.id]

    settings = current_app.config["EDOC"]
    tsa_url = (settings.tsa_url or None) if timestamp else None
    return AgencySigner(signer.certificate(), sign, trusted_certificates(), tsa_url)
