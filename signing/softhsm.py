"""SoftHSM2 tokens in a directory of their own, for tests and ``edoc demo``.

Each store has its own ``softhsm2.conf``; tokens are built by the Debian tools in child
processes; call :meth:`SoftHSM.activate` before the library is first loaded. Why:
docs/signing.md ("The demo PKI and test tokens").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


def find_softhsm_module() -> str:
    """Path of the SoftHSM2 PKCS#11 module (``EDOC_SOFTHSM_MODULE`` overrides)."""
    override = os.environ.get("EDOC_SOFTHSM_MODULE")
    if override:
        return override
    for candidate in MODULE_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("libsofthsm2.so not found; install the Debian package softhsm2")


class SoftHSMError(RuntimeError):
    """A SoftHSM command-line tool failed; the message carries its output."""


@dataclass(frozen=True)
class SoftHSM:
    """A SoftHSM2 token store rooted at ``directory``."""

    directory: Path

    @property
    def conf_path(self) -> Path:
        return self.directory / "softhsm2.conf"

    @property
    def token_dir(self) -> Path:
        return self.directory / "tokens"

    @property
    def module_path(self) -> str:
        return find_softhsm_module()

    @classmethod
    def create(cls, directory: Path) -> SoftHSM:
        """Make the directory, its token store and its config file (idempotent)."""
        hsm = cls(Path(directory).resolve())
        hsm.token_dir.mkdir(parents=True, exist_ok=True)
        hsm.conf_path.write_text(
            f"directories.tokendir = {hsm.token_dir}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = true\n",
            encoding="utf-8",
        )
        return hsm

    def env(self) -> dict[str, str]:
        """An environment for child processes (``edoc-signer``, tools) using this store."""
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf_path)}

    def activate(self) -> None:
        """Point this process's PKCS#11 SoftHSM module at this store.

        SoftHSM reads its config only at ``C_Initialize``; a module already loaded under another
        config is unloaded so the next ``pkcs11.lib()`` call starts afresh.
        """
        # python-pkcs11 loads only in a process that talks to a token (not the web server)
        import pkcs11

        if os.environ.get("SOFTHSM2_CONF") != str(self.conf_path):
            pkcs11.unload(self.module_path)
        os.environ["SOFTHSM2_CONF"] = str(self.conf_path)

    def _run(self, args: list[str]) -> str:
        proc = subprocess.run(
            args, env=self.env(), capture_output=True, text=True, timeout=60, check=False
        )
        if proc.returncode != 0:
            # never echo the command line: it carries PINs
            raise SoftHSMError(f"{Path(args[0]).name} failed: {proc.stderr.strip() or proc.stdout}")
        return proc.stdout

    def init_token(self, label: str, user_pin: str, so_pin: str) -> None:
        """Initialise a fresh token labelled ``label`` in the first free slot."""
        self._run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                user_pin,
                "--so-pin",
                so_pin,
            ]
        )

    def import_key_and_cert(
        self,
        token_label: str,
        user_pin: str,
        *,
        label: str,
        key_id: bytes,
        private_key_pkcs8_pem: bytes,
        cert_der: bytes,
    ) -> None:
        """Put a key pair and its certificate on a token under the same label and ID.

        Sharing label and CKA_ID is what lets signing software (pyHanko, our agent) find the key
        that belongs to a certificate, as on commercial tokens.
        """
        with tempfile.TemporaryDirectory(prefix="softhsm-import-") as tmp:
            key_file = Path(tmp) / "key.pem"
            key_file.write_bytes(private_key_pkcs8_pem)
            key_file.chmod(0o600)
            cert_file = Path(tmp) / "cert.der"
            cert_file.write_bytes(cert_der)
            self._run(
                [
                    "softhsm2-util",
                    "--import",
                    str(key_file),
                    "--token",
                    token_label,
                    "--label",
                    label,
                    "--id",
                    key_id.hex(),
                    "--pin",
                    user_pin,
                ]
            )
            self._run(
                [
                    "pkcs11-tool",
                    "--module",
                    self.module_path,
                    "--token-label",
                    token_label,
                    "--login",
                    "--pin",
                    user_pin,
                    "--write-object",
                    str(cert_file),
                    "--type",
                    "cert",
                    "--label",
                    label,
                    "--id",
                    key_id.hex(),
                ]
            )

    def create_token_with_keys(
        self,
        label: str,
        user_pin: str,
        so_pin: str,
        keys: Sequence[tuple[str, bytes, bytes]],
    ) -> None:
        """A new token holding ``(label, PKCS#8 PEM key, DER certificate)`` entries, IDs 1, 2, …

        What ``edoc demo`` and the test fixtures use to build a leader's or a clerk's token.
        """
        self.init_token(label, user_pin, so_pin)
        for index, (object_label, key_pem, cert_der) in enumerate(keys, start=1):
            self.import_key_and_cert(
                label,
                user_pin,
                label=object_label,
                key_id=index.to_bytes(1, "big"),
                private_key_pkcs8_pem=key_pem,
                cert_der=cert_der,
            )

    def token_paths(self) -> list[Path]:
        """The per-token subdirectories of the store (one per initialised token)."""
        return sorted(p for p in self.token_dir.iterdir() if p.is_dir())

    def delete_token(self, label: str) -> bool:
        """Delete the token labelled ``label`` if it is there; whether one was deleted."""
        present = any(
            label.encode() in (path / "token.object").read_bytes()
            for path in self.token_paths()
            if (path / "token.object").exists()
        )
        if present:
            self._run(["softhsm2-util", "--delete-token", "--token", label])
        return present

    def remove_token_files(self, token_serial: str) -> None:
        """Delete one token's files: the closest SoftHSM gets to pulling a USB token out."""
        for path in self.token_paths():
            token_object = path / "token.object"
            if token_object.exists() and token_serial.encode() in token_object.read_bytes():
                shutil.rmtree(path)
                return
        raise SoftHSMError(f"no token with serial {token_serial}")
