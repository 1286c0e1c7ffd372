"""The demo agency's keys: a demo PKI, two SoftHSM2 tokens, and the installation's trust in them.

What ``edoc demo`` builds under the data directory::

    demo-pki/            certomancer PKI: root CA, issuing CA, OCSP, CRL, TSA, the leader's, the
                         agency's and three sending agencies' certificates (keys never shipped)
    softhsm/leader/      the leader's personal token ("USB token" of Nguyễn Văn An), own store
    softhsm/agency/      the agency token attached to the server (seal of UBND tỉnh Demo)
    softhsm/*/pin        each token's user PIN (0600; demo only — a real PIN is never on disk
                         next to the token, see README)
    trust/edoc-demo-*.der  root and issuing CA: the installation trusts them
    agency_token.json    where the server finds the agency token: the operator's file any
                         installation may use (``EDOC_AGENCY_TOKEN_FILE``, read by
                         ``edoc.core.agency_key`` when EDOC_AGENCY_TOKEN_* is unset)
    leader_token.json    the leader's token for ``edoc serve`` to start ``edoc-signer`` beside it
    remote_signing_hsm.json  the HSM of the agency's remote-signing service: a token in the
                         agency store holding a copy of the leader's key ("ký từ xa",
                         signing/REMOTE.md), its PIN in ``softhsm/agency/remote-pin``

Two stores rather than one: the leader's agent must list only the leader's certificates, and the
agency key must never be offered on the leader's "Ký số" page. A process can have one SoftHSM
store loaded at a time, so the demo switches with :meth:`SoftHSM.activate` between the leader's
batch and the clerk's issue.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from edoc.core.agency_key import AgencyToken, write_agency_token_file
from signing import pki as labels
from signing.pki import DemoPKI
from signing.server_signer import ServerTokenConfig
from signing.softhsm import SoftHSM

PKI_DIR = "demo-pki"
SOFTHSM_DIR = "softhsm"
LEADER_TOKEN_FILE = "leader_token.json"
LEADER_TOKEN = "lanh-dao-nguyen-van-an"
AGENCY_TOKEN = "ubnd-tinh-demo"
REMOTE_TOKEN = "ky-tu-xa-nguyen-van-an"
REMOTE_HSM_FILE = "remote_signing_hsm.json"
TRUST_FILES = {labels.ROOT: "edoc-demo-root.der", labels.ISSUING_CA: "edoc-demo-issuing-ca.der"}


@dataclass(frozen=True)
class DemoToken:
    hsm: SoftHSM
    label: str
    cert_label: str
    pin: str

    @property
    def pin_file(self) -> Path:
        return self.hsm.directory / "pin"

    @property
    def module(self) -> str:
        return self.hsm.module_path


@dataclass(frozen=True)
class DemoKeys:
    """What the day of work signs with: the PKI (senders' keys, TSA) and the two tokens."""

    pki: DemoPKI
    leader: DemoToken
    agency: DemoToken


def remove(data_dir: Path, agency_token_file: Path) -> None:
    """Forget the demo keys (a new demo makes new ones)."""
    for name in (PKI_DIR, SOFTHSM_DIR):
        shutil.rmtree(data_dir / name, ignore_errors=True)
    (data_dir / LEADER_TOKEN_FILE).unlink(missing_ok=True)
    (data_dir / REMOTE_HSM_FILE).unlink(missing_ok=True)
    agency_token_file.unlink(missing_ok=True)


def _pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _token(directory: Path, pki: DemoPKI, label: str, cert_label: str) -> DemoToken:
    shutil.rmtree(directory, ignore_errors=True)
    hsm = SoftHSM.create(directory)
    token = DemoToken(hsm, label, cert_label, _pin())
    hsm.create_token_with_keys(
        label,
        token.pin,
        secrets.token_hex(8),
        [(cert_label, pki.key_path(cert_label).read_bytes(), pki.cert_der(cert_label))],
    )
    token.pin_file.touch(mode=0o600)
    token.pin_file.write_text(token.pin + "\n", encoding="utf-8")
    return token


def create_tokens(
    data_dir: Path, pki: DemoPKI, agency_token_file: Path
) -> tuple[DemoToken, DemoToken]:
    """The leader's and the agency's tokens, each in its own store, and the files saying where.

    The agency token is configured like any installation's (the operator's file,
    ``EDOC_AGENCY_TOKEN_FILE``); the leader's file is the demo's own, for ``edoc serve``.
    """
    root = data_dir / SOFTHSM_DIR
    leader = _token(root / "leader", pki, LEADER_TOKEN, labels.LEADER)
    agency = _token(root / "agency", pki, AGENCY_TOKEN, labels.AGENCY)
    leader_settings = {
        "module": leader.module,
        "token_label": leader.label,
        "cert_label": leader.cert_label,
        "pin_file": str(leader.pin_file),
        "softhsm_dir": str(leader.hsm.directory),
    }
    (data_dir / LEADER_TOKEN_FILE).write_text(
        json.dumps(leader_settings, indent=2) + "\n", encoding="utf-8"
    )
    agency_config = ServerTokenConfig(
        module_path=agency.module,
        token_label=agency.label,
        cert_label=agency.cert_label,
        pin_env=None,
        pin_file=str(agency.pin_file),
    )
    write_agency_token_file(agency_token_file, AgencyToken(agency_config, agency.hsm.conf_path))
    return leader, agency


def create_remote_key(data_dir: Path, pki: DemoPKI, agency: DemoToken) -> None:
    """The leader's key for remote signing, in the server's HSM (the agency store), and the file
    telling the remote-signing service where it is (read when EDOC_CSC_HSM_MODULE is unset)."""
    pin = _pin()
    agency.hsm.create_token_with_keys(
        REMOTE_TOKEN,
        pin,
        secrets.token_hex(8),
        [(labels.LEADER, pki.key_path(labels.LEADER).read_bytes(), pki.cert_der(labels.LEADER))],
    )
    pin_file = agency.hsm.directory / "remote-pin"
    pin_file.touch(mode=0o600)
    pin_file.write_text(pin + "\n", encoding="utf-8")
    settings = {
        "module": agency.module,
        "pin_file": str(pin_file),
        "softhsm2_conf": str(agency.hsm.conf_path),
        # the demo's OCSP responder and CRL stop with `edoc demo`: only a "revoked" answer could
        # refuse, and none comes (signing/REMOTE.md); EDOC_CSC_REVOCATION=hard overrides it
        "revocation": "soft",
    }
    (data_dir / REMOTE_HSM_FILE).write_text(json.dumps(settings, indent=2) + "\n", "utf-8")


def trust(trust_dir: Path, pki: DemoPKI) -> None:
    """The installation trusts the demo root and issuing CA."""
    trust_dir.mkdir(parents=True, exist_ok=True)
    for label, name in TRUST_FILES.items():
        (trust_dir / name).write_bytes(pki.cert_der(label))


def leader_token(data_dir: Path) -> dict[str, str] | None:
    """The demo leader token's settings, if ``edoc demo`` made one (for ``edoc serve``)."""
    path = data_dir / LEADER_TOKEN_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if Path(data.get("softhsm_dir", "")).is_dir() else None


def start_leader_agent(data_dir: Path, host: str, port: int, signer_url: str) -> object | None:
    """``edoc-signer`` on the demo leader's token, beside ``edoc serve`` (demo installs only).

    Returns the child process, or None when there is no demo token or the agent's port is taken
    (an agent already running, e.g. the leader's own).
    """
    token = leader_token(data_dir)
    if token is None:
        return None
    agent = urlparse(signer_url)
    agent_host, agent_port = agent.hostname or "127.0.0.1", agent.port or 8787
    with socket.socket() as probe:
        if probe.connect_ex((agent_host, agent_port)) == 0:
            return None
    origins = {f"http://{host}:{port}", f"http://127.0.0.1:{port}", f"http://localhost:{port}"}
    command = [
        sys.executable,
        "-c",
        "import sys; from signing.agent.cli import main; sys.exit(main())",
        "--module",
        token["module"],
        "--port",
        str(agent_port),
    ]
    for origin in sorted(origins):
        command += ["--allow-origin", origin]
    env = {**os.environ, "SOFTHSM2_CONF": str(Path(token["softhsm_dir"]) / "softhsm2.conf")}
    return subprocess.Popen(command, env=env)
