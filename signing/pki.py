"""A demo/test PKI (root, issuing CA, leader and agency certificates, TSA, OCSP, CRL).

Built with certomancer, keys generated on first use, dates relative to the moment of creation,
served on a loopback port bound before the certificates are made (their URLs name it). Why:
docs/signing.md ("The demo PKI and test tokens").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server

ARCH = "edoc-demo"
DAY = timedelta(days=1)

# Labels of the key pairs (and certificates of the same name) in the demo PKI.
ROOT = "root"
ISSUING_CA = "issuing-ca"
OCSP_RESPONDER = "ocsp"
TSA = "tsa"
LEADER = "leader"
AGENCY = "agency"
CLERK = "clerk"
EXPIRED = "expired"
NOT_YET_VALID = "not-yet-valid"
WRONG_USAGE = "wrong-usage"
#: A leader's certificate the CA has revoked (OCSP and the CRL say so): remote signing refuses it.
REVOKED = "revoked"

#: Certificates whose keys belong on a token (end-entity signing certificates).
TOKEN_CERTS = (LEADER, AGENCY, CLERK, EXPIRED, NOT_YET_VALID, WRONG_USAGE)

# Other agencies that send signed documents to the demo agency (their organisation certificates,
# issued by the same demo CA so the installation trusts them).
SO_TAI_CHINH = "so-tai-chinh"
SO_NOI_VU = "so-noi-vu"
UBND_HUYEN = "ubnd-binh-an"
SENDER_CERTS = (SO_TAI_CHINH, SO_NOI_VU, UBND_HUYEN)

_KEY_LABELS = (ROOT, ISSUING_CA, OCSP_RESPONDER, TSA, *TOKEN_CERTS, *SENDER_CERTS, REVOKED)

_SIGNER_USAGE = ["digital_signature", "non_repudiation"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


#: The title (chức danh) in the leader's certificate unless told otherwise: the tests' leader
#: signs "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"; ``edoc demo`` passes its leader's own title, so the
#: signing page's title check agrees with the demo's drafts.
LEADER_TITLE = "Phó Chủ tịch"


def _entities(leader_title: str = LEADER_TITLE) -> dict[str, dict[str, str]]:
    org = "UBND tỉnh Demo"
    pki_org = "Edoc Demo PKI"
    return {
        ROOT: {"common-name": "Edoc Demo Root CA", "organization-name": pki_org},
        ISSUING_CA: {"common-name": "Edoc Demo Issuing CA", "organization-name": pki_org},
        OCSP_RESPONDER: {"common-name": "Edoc Demo OCSP", "organization-name": pki_org},
        TSA: {"common-name": "Edoc Demo TSA", "organization-name": pki_org},
        LEADER: {
            "common-name": "Nguyễn Văn An",
            "title": leader_title,
            "organization-name": org,
            "locality-name": "Thành phố Demo",
            "state-or-province-name": "Tỉnh Demo",
        },
        AGENCY: {
            "common-name": "UBND tỉnh Demo",
            "organization-name": org,
            "state-or-province-name": "Tỉnh Demo",
        },
        CLERK: {"common-name": "Lê Thị Hồng", "title": "Văn thư", "organization-name": org},
        EXPIRED: {"common-name": "Trần Thị Bích Ngọc", "title": "Chánh Văn phòng"},
        NOT_YET_VALID: {"common-name": "Đỗ Minh Đức", "title": "Phó Chánh Văn phòng"},
        WRONG_USAGE: {"common-name": "Phạm Quốc Việt", "title": "Chuyên viên"},
        REVOKED: {
            "common-name": "Hoàng Văn Bình",
            "title": "Phó Chủ tịch",
            "organization-name": org,
        },
        SO_TAI_CHINH: {
            "common-name": "Sở Tài chính tỉnh Demo",
            "organization-name": "Sở Tài chính tỉnh Demo",
            "state-or-province-name": "Tỉnh Demo",
        },
        SO_NOI_VU: {
            "common-name": "Sở Nội vụ tỉnh Demo",
            "organization-name": "Sở Nội vụ tỉnh Demo",
            "state-or-province-name": "Tỉnh Demo",
        },
        UBND_HUYEN: {
            "common-name": "UBND huyện Bình An",
            "organization-name": "UBND huyện Bình An",
            "state-or-province-name": "Tỉnh Demo",
        },
    }


def _key_usage(params: list[str]) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": params},
    }


def _crl_dp(repo: str) -> dict[str, Any]:
    return {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}},
    }


def _ocsp_aia(responder: str) -> dict[str, Any]:
    return {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [responder]}},
    }


def build_config(
    key_dir: Path,
    url_prefix: str,
    now: datetime | None = None,
    leader_title: str = LEADER_TITLE,
) -> dict[str, Any]:
    """The certomancer configuration for the demo PKI, with dates relative to ``now``."""
    now = now or datetime.now(UTC)
    long = {"valid-from": _iso(now - 365 * DAY), "valid-to": _iso(now + 3650 * DAY)}
    valid = {"valid-from": _iso(now - 30 * DAY), "valid-to": _iso(now + 5 * 365 * DAY)}

    def leaf(usage: list[str], validity: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "issuer": ISSUING_CA,
            "validity": validity or valid,
            "extensions": [_key_usage(usage), _crl_dp("issuing"), _ocsp_aia("issuing")],
        }

    ca_usage = _key_usage(["digital_signature", "key_cert_sign", "crl_sign"])
    certs: dict[str, Any] = {
        ROOT: {
            "subject": ROOT,
            "subject-key": ROOT,
            "issuer": ROOT,
            "authority-key": ROOT,
            "validity": long,
            "extensions": [
                {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                ca_usage,
            ],
        },
        ISSUING_CA: {
            "issuer": ROOT,
            "validity": long,
            "extensions": [
                {
                    "id": "basic_constraints",
                    "critical": True,
                    "value": {"ca": True, "path-len-constraint": 0},
                },
                ca_usage,
                _crl_dp("root"),
            ],
        },
        OCSP_RESPONDER: {
            "issuer": ISSUING_CA,
            "validity": long,
            "extensions": [
                _key_usage(["digital_signature"]),
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        },
        TSA: {
            "issuer": ROOT,
            "validity": long,
            "extensions": [
                _key_usage(["digital_signature"]),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                _crl_dp("root"),
            ],
        },
        LEADER: leaf(_SIGNER_USAGE),
        AGENCY: leaf(_SIGNER_USAGE),
        CLERK: leaf(_SIGNER_USAGE),
        EXPIRED: leaf(
            _SIGNER_USAGE, {"valid-from": _iso(now - 400 * DAY), "valid-to": _iso(now - 35 * DAY)}
        ),
        NOT_YET_VALID: leaf(
            _SIGNER_USAGE, {"valid-from": _iso(now + 30 * DAY), "valid-to": _iso(now + 400 * DAY)}
        ),
        WRONG_USAGE: leaf(["key_encipherment", "data_encipherment"]),
        REVOKED: {
            **leaf(_SIGNER_USAGE),
            "revocation": {"revoked-since": _iso(now - 2 * DAY), "reason": "key_compromise"},
        },
        **{label: leaf(_SIGNER_USAGE) for label in SENDER_CERTS},
    }
    return {
        "external-url-prefix": url_prefix,
        "keysets": {
            ARCH: {
                "path-prefix": str(key_dir),
                "keys": {label: {"path": f"{label}.key.pem"} for label in _KEY_LABELS},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN"},
                "entities": _entities(leader_title),
                "certs": certs,
                "services": {
                    "ocsp": {
                        "issuing": {
                            "for-issuer": ISSUING_CA,
                            "responder-cert": OCSP_RESPONDER,
                            "signing-key": OCSP_RESPONDER,
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": ROOT,
                            "signing-key": ROOT,
                            "simulated-update-schedule": "P90D",
                        },
                        "issuing": {
                            "for-issuer": ISSUING_CA,
                            "signing-key": ISSUING_CA,
                            "simulated-update-schedule": "P7D",
                        },
                    },
                    "cert-repo": {
                        "root": {"for-issuer": ROOT, "publish-issued-certs": True},
                        "issuing": {"for-issuer": ISSUING_CA, "publish-issued-certs": True},
                    },
                    "time-stamping": {"tsa": {"signing-key": TSA, "signing-cert": TSA}},
                },
            }
        },
    }


def _ensure_keys(key_dir: Path) -> None:
    key_dir.mkdir(parents=True, exist_ok=True)
    for label in _KEY_LABELS:
        path = key_dir / f"{label}.key.pem"
        if path.exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)


@dataclass
class DemoPKI:
    """A built demo PKI: certificates, private keys and service URLs."""

    directory: Path
    url_prefix: str
    _arch: Any = field(repr=False)

    CONFIG_NAME = "demo_pki.yml"

    @classmethod
    def create(cls, directory: Path, url_prefix: str, leader_title: str = LEADER_TITLE) -> DemoPKI:
        """Build (or rebuild, keeping existing keys) the PKI in ``directory``."""
        directory = Path(directory)
        _ensure_keys(directory / "keys")
        config = build_config((directory / "keys").resolve(), url_prefix, leader_title=leader_title)
        (directory / cls.CONFIG_NAME).write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        return cls.load(directory)

    @classmethod
    def load(cls, directory: Path) -> DemoPKI:
        """Load a PKI created earlier (same certificates; service URLs as recorded then)."""
        directory = Path(directory)
        text = (directory / cls.CONFIG_NAME).read_text(encoding="utf-8")
        config = CertomancerConfig.from_yaml(text, key_search_dir=str(directory))
        prefix = yaml.safe_load(text)["external-url-prefix"]
        arch = config.get_pki_arch(ArchLabel(ARCH))
        return cls(directory=directory, url_prefix=prefix, _arch=arch)

    @property
    def arch(self) -> Any:
        """The certomancer ``PKIArchitecture`` (for services and advanced use)."""
        return self._arch

    def cert(self, label: str) -> asn1_x509.Certificate:
        return self._arch.get_cert(CertLabel(label))

    def cert_der(self, label: str) -> bytes:
        return self.cert(label).dump()

    def private_key(self, label: str) -> asn1_keys.PrivateKeyInfo:
        return self._arch.key_set.get_private_key(KeyLabel(label))

    def key_path(self, label: str) -> Path:
        """PKCS#8 PEM of a key (unencrypted: demo keys only)."""
        return self.directory / "keys" / f"{label}.key.pem"

    def chain(self, label: str) -> list[asn1_x509.Certificate]:
        """The issuing certificates above ``label``, nearest first, root included."""
        return [self._arch.get_cert(lbl) for lbl in self._arch.get_chain(CertLabel(label))]

    @property
    def root(self) -> asn1_x509.Certificate:
        return self.cert(ROOT)

    @property
    def tsa_url(self) -> str:
        return f"{self.url_prefix}/{ARCH}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.url_prefix}/{ARCH}/ocsp/issuing"

    @property
    def crl_url(self) -> str:
        return f"{self.url_prefix}/{ARCH}/crls/issuing/latest.crl"

    def wsgi_app(self) -> Any:
        """Certomancer's Animator serving OCSP, CRLs, the TSA and the certificates."""
        return Animator(AnimatorArchStore({ArchLabel(ARCH): self._arch}), with_web_ui=False)


class _LateApp:
    """A WSGI app whose target is set after the server is bound (the port must be known first)."""

    def __init__(self) -> None:
        self.target: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"PKI not ready"]
        return self.target(environ, start_response)


class PkiServer:
    """Serves a :class:`DemoPKI` over HTTP (werkzeug, threaded) in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        class _Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._app = _LateApp()
        self._server = make_server(host, port, self._app, threaded=True, request_handler=_Quiet)
        self.host = host
        self.port: int = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, pki: DemoPKI) -> None:
        self._app.target = pki.wsgi_app()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-pki", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


@contextmanager
def start_demo_pki(
    directory: Path, host: str = "127.0.0.1", port: int = 0, leader_title: str = LEADER_TITLE
) -> Iterator[DemoPKI]:
    """Create the PKI in ``directory`` for a free (or given) loopback port and serve it there.

    Used by the test fixtures and by ``edoc demo``; the PKI object stays usable after the context
    ends, but OCSP/CRL/TSA fetches then fail, as they would with the CA offline.
    """
    server = PkiServer(host, port)
    try:
        pki = DemoPKI.create(directory, server.url, leader_title)
        server.start(pki)
        yield pki
    finally:
        server.stop()
