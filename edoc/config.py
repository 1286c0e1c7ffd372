"""Settings from ``EDOC_*`` environment variables (and ``.env``), validated once at start-up.

A bad value stops the application with one line naming the variable, so an operator never has
to read a traceback to find a typo in a unit file.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

from edoc.core.holidays import parse_holidays
from edoc.core.organ_codes import EXAMPLE, is_organ_code


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the variable."""


def _as_int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _between(low: int, high: int) -> Callable[[str, str], int]:
    """A converter for a whole number from ``low`` to ``high``."""
    return lambda name, raw: _as_int(name, raw, low, high)


def _as_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def _as_database_url(name: str, raw: str) -> str:
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if not scheme.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            f"{name}: expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB, got {raw!r}"
        )
    if scheme.startswith("postgresql") and scheme != "postgresql+psycopg":
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def _as_storage_url(name: str, raw: str) -> str:
    parsed = urlparse(raw)
    if parsed.scheme not in {"file", "s3"}:
        raise ConfigError(f"{name}: expected file:///PATH or s3://BUCKET?endpoint=…, got {raw!r}")
    if parsed.scheme == "s3" and not parsed.netloc:
        raise ConfigError(f"{name}: the s3 URL needs a bucket name, got {raw!r}")
    return raw


def _as_search_url(name: str, raw: str) -> str:
    if raw in {"db", "tantivy"} or urlparse(raw).scheme in {"http", "https"}:
        return raw
    parsed = urlparse(raw)
    if parsed.scheme == "tantivy" and parsed.path.startswith("/") and not parsed.netloc:
        return raw
    raise ConfigError(
        f"{name}: expected 'db', 'tantivy' (an index in the data directory), "
        f"tantivy:///ABSOLUTE/PATH or an Elasticsearch http(s):// URL, got {raw!r}"
    )


def _as_timezone(name: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}: unknown time zone {raw!r}") from None
    return raw


def _as_holidays_file(name: str, raw: str) -> Path | None:
    """A readable holidays file whose every line is a date (see ``core.holidays``)."""
    if not raw:
        return None
    path = Path(raw).resolve()
    try:
        parse_holidays(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{name}: cannot read {raw!r} ({error.strerror})") from None
    except ValueError as error:
        raise ConfigError(f"{name}: {raw!r} {error}") from None
    return path


def _as_organ_id(name: str, raw: str) -> str:
    if not is_organ_code(raw):
        raise ConfigError(f"{name}: expected an agency code such as {EXAMPLE}, got {raw!r}")
    return raw


def _as_rate_limit(name: str, raw: str) -> str:
    try:
        if all(item.amount >= 1 for item in parse_many(raw)):
            return raw
    except ValueError:
        pass
    raise ConfigError(f"{name}: expected limits such as '30 per minute; 300 per hour', got {raw!r}")


def _as_smtp_security(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"starttls", "ssl", "none"}:
        raise ConfigError(f"{name}: expected starttls, ssl or none, got {raw!r}")
    return value


def _as_email_address(name: str, raw: str) -> str:
    address = raw.strip()
    if "@" not in address or any(c in address for c in "\r\n"):
        raise ConfigError(f"{name}: expected an e-mail address such as edoc@example.gov.vn")
    return address


def _as_public_url(name: str, raw: str) -> str:
    parsed = urlparse(raw.strip())
    if raw and (parsed.scheme not in {"http", "https"} or not parsed.netloc):
        raise ConfigError(f"{name}: expected http(s)://HOST[:PORT], got {raw!r}")
    return raw.strip().rstrip("/")


def _as_log_format(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"text", "json"}:
        raise ConfigError(f"{name}: expected text or json, got {raw!r}")
    return value


#: Secrets that may be given as a file instead (``NAME_FILE=/run/secrets/…``), so they need
#: not sit in the environment of every process or in a unit file. EDOC_AUDIT_KEY_FILE has its
#: own meaning (the key file is read at each use) and is not in this list.
SECRET_FILE_NAMES = (
    "EDOC_SECRET_KEY",
    "EDOC_DATABASE_URL",
    "EDOC_SMTP_PASSWORD",
    "EDOC_S3_ACCESS_KEY",
    "EDOC_S3_SECRET_KEY",
    "EDOC_METRICS_TOKEN",
)


def _with_secret_files(env: dict[str, str]) -> dict[str, str]:
    """``NAME_FILE`` read into ``NAME`` (trailing newline dropped); both set is an error, since
    which one wins would be a guess."""
    for name in SECRET_FILE_NAMES:
        file_name = f"{name}_FILE"
        path = env.get(file_name, "")
        if not path:
            continue
        if env.get(name):
            raise ConfigError(f"{file_name}: {name} is set too; set only one of them")
        try:
            env[name] = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"{file_name}: cannot read {path}: {error.strerror}") from None
    return env


RATELIMIT_STORAGE_SCHEMES = {"memory", "redis", "rediss"}


def _ratelimit_storage(env: Mapping[str, str]) -> str:
    """Where rate-limit counters live: ``EDOC_RATELIMIT_STORAGE_URL``, else the Redis of the job
    queue when there is one (counters shared by every web process), else this process's memory."""
    name = "EDOC_RATELIMIT_STORAGE_URL"
    raw = env.get(name, "")
    if not raw:
        queue_url = env.get("EDOC_QUEUE_URL", "")
        return queue_url if urlparse(queue_url).scheme in {"redis", "rediss"} else "memory://"
    if urlparse(raw).scheme not in RATELIMIT_STORAGE_SCHEMES:
        raise ConfigError(f"{name}: expected memory:// or redis://HOST:PORT/DB, got {raw!r}")
    return raw


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    storage_url: str
    search_url: str
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 5000
    demo_password: str = "edoc-demo"
    max_upload_mb: int = 50
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    api_token_hours: int = 24
    session_cookie_secure: bool = False
    timezone: str = "Asia/Ho_Chi_Minh"
    #: Public holidays that deadlines in working days skip (EDOC_HOLIDAYS_FILE); None: the
    #: defaults of ``core.holidays`` (2026–2027).
    holidays_file: Path | None = None
    trust_dir: Path | None = None
    organ_id: str = "000.00.00.H30"
    tsa_url: str = ""
    signer_url: str = "http://127.0.0.1:8787"
    place_name: str = "Demo"  # địa danh on the date line of issued documents
    #: The audit chain's HMAC key (EDOC_AUDIT_KEY), or the file holding it (EDOC_AUDIT_KEY_FILE);
    #: neither set: ``<data_dir>/audit_key``, generated on first use with mode 0600.
    audit_key: str = ""
    audit_key_file: Path | None = None
    #: Where signed checkpoints of the audit chain are written (never inside the database).
    audit_checkpoint_dir: Path | None = None
    audit_checkpoint_minutes: int = 60
    #: The operator's file naming the agency token when ``EDOC_AGENCY_TOKEN_MODULE`` is unset
    #: (read at each use by :mod:`edoc.core.agency_key`); default ``<data_dir>/agency_token.json``.
    agency_token_file: Path | None = None
    # Per client address, on top of the per-account lock-out. Every attempt counts, successful
    # or not (counting is then one atomic increment, which parallel requests cannot overshoot);
    # an office whose staff all reach the server from one address may need more.
    ratelimit_login: str = "30 per minute; 300 per hour"
    ratelimit_token: str = "30 per minute; 300 per hour"
    ratelimit_storage_url: str = "memory://"
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For is believed
    # Address-space limit of every child process that reads an uploaded file (signature
    # validation, pdfinfo/pdftotext, OCR and its tools, LibreOffice): a hostile file is refused
    # or marked unreadable instead of taking the server's memory.
    file_tool_memory_mb: int = 1536
    #: edXML exchange: a package not delivered after this many attempts is ``failed`` (an
    #: operator retries or gives up); waits between attempts double from the base to the cap.
    exchange_max_attempts: int = 20
    exchange_backoff_seconds: int = 30
    exchange_backoff_max_seconds: int = 3600
    #: How long a worker's claim on an exchange package lasts unrenewed
    #: (EDOC_EXCHANGE_LEASE_SECONDS): a worker renews it every third of that while it checks or
    #: delivers the package, so a worker killed meanwhile delays the package this long, then
    #: another worker takes it.
    exchange_lease_seconds: int = 300
    #: Background jobs (exports, legacy imports): a running job's worker renews its lease at each
    #: step; a job whose lease ran out (its worker was killed) is queued again, and failed after
    #: ``job_max_lost_runs`` such runs (EDOC_JOB_LEASE_SECONDS, EDOC_JOB_MAX_LOST_RUNS). The
    #: lease outlasts the longest single step, checking one file (up to 600 s).
    job_lease_seconds: int = 900
    job_max_lost_runs: int = 3
    #: How long a drain holds the search outbox rows it claimed (EDOC_OUTBOX_LEASE_SECONDS): a
    #: worker killed mid-push delays its documents this long, then another drain takes them.
    #: Longer than one batch's push to the engine takes.
    outbox_lease_seconds: int = 300
    #: days a hub keeps the packages it forwarded after their delivery (then ``edoc gc``)
    exchange_forward_retention_days: int = 30
    #: Webhooks may target loopback, private, link-local and other non-public addresses
    #: (EDOC_WEBHOOK_ALLOW_PRIVATE). Off by default: an admin's URL must not reach the server's
    #: own network (SSRF). A demo or test on one machine turns it on.
    webhook_allow_private: bool = False
    #: Attempts of one webhook delivery before it is marked failed (EDOC_WEBHOOK_MAX_ATTEMPTS).
    webhook_max_attempts: int = 20
    #: E-mail of notifications and daily digests (EDOC_SMTP_*). No host: no e-mail is sent,
    #: notifications stay in the app. ``smtp_security``: ``starttls``, ``ssl`` or ``none``.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: str = "starttls"
    smtp_from: str = "edoc@localhost"
    smtp_timeout: int = 20
    #: Attempts of one e-mail before it is marked failed (EDOC_SMTP_MAX_ATTEMPTS).
    smtp_max_attempts: int = 10
    #: Local hour after which the daily digest goes out (EDOC_DIGEST_HOUR).
    digest_hour: int = 7
    #: The address people open edoc at, for the links in e-mails (EDOC_PUBLIC_URL).
    public_url: str = ""
    #: Hops of proxies believed for each X-Forwarded-* header (EDOC_PROXY_X_PROTO, …_X_HOST,
    #: …_X_PORT, …_X_PREFIX); ``trusted_proxies`` is the count for X-Forwarded-For. Proto and
    #: host default to that count, port and prefix to 0.
    proxy_x_proto: int = 0
    proxy_x_host: int = 0
    proxy_x_port: int = 0
    proxy_x_prefix: int = 0
    #: ``text`` (as ``make run`` always logged) or ``json``: one object a line with the request
    #: id (EDOC_LOG_FORMAT).
    log_format: str = "text"
    #: A bearer token ``/metrics`` requires (EDOC_METRICS_TOKEN or …_FILE); empty: ``/metrics``
    #: answers only requests from loopback.
    metrics_token: str = ""
    #: S3 credentials (EDOC_S3_ACCESS_KEY, EDOC_S3_SECRET_KEY, or their …_FILE).
    s3_access_key: str = ""
    s3_secret_key: str = ""
    #: The agency's remote-signing service (CSC API v2 at ``/csc/v2``, signing/REMOTE.md):
    #: off unless EDOC_CSC_SERVICE is on; over plain HTTP only when EDOC_CSC_REQUIRE_HTTPS is
    #: off (a demo or test on one machine). Its keys are in the PKCS#11 module
    #: EDOC_CSC_HSM_MODULE, whose user PIN comes from EDOC_CSC_HSM_PIN (read at each use) or the
    #: file EDOC_CSC_HSM_PIN_FILE. A SAD lives EDOC_CSC_SAD_SECONDS; a credential locks after
    #: EDOC_CSC_OTP_ATTEMPTS wrong codes in a row, like a token PIN.
    csc_service: bool = False
    csc_require_https: bool = True
    csc_hsm_module: str = ""
    csc_hsm_pin_file: Path | None = None
    csc_sad_seconds: int = 300
    csc_otp_attempts: int = 5
    #: The key sealing leaders' TOTP seeds in the database (EDOC_CSC_SEED_KEY), or the file
    #: holding it (EDOC_CSC_SEED_KEY_FILE); neither set: ``<data_dir>/csc_seed_key``, generated
    #: on first use with mode 0600. Like the audit key: never in the database, backed up apart.
    csc_seed_key: str = ""
    csc_seed_key_file: Path | None = None
    #: A certificate whose CA cannot be asked (OCSP/CRL out of reach) before a remote signature:
    #: ``hard`` refuses, ``soft`` signs anyway; a CA's answer "revoked" refuses in both. Unset
    #: (""): hard, unless the demo's HSM file says soft (its OCSP responder runs only while
    #: ``edoc demo`` builds the data; see signing/REMOTE.md).
    csc_revocation: str = ""
    #: Commercial remote-signing providers (CSC v2), a JSON list (EDOC_CSC_PROVIDERS_FILE).
    csc_providers_file: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every ``EDOC_*`` variable; raise :class:`ConfigError` on a bad one."""
        env = _with_secret_files(dict(os.environ if environ is None else environ))
        data_dir = Path(env.get("EDOC_DATA_DIR", "var")).resolve()

        proxies = env.get("EDOC_TRUSTED_PROXIES", "0")

        def get(name: str, default: str, convert: Callable[[str, str], Any] | None = None) -> Any:
            raw = env.get(name, default)
            return convert(name, raw) if convert else raw

        return cls(
            data_dir=data_dir,
            database_url=get(
                "EDOC_DATABASE_URL", f"sqlite:///{data_dir / 'edoc.db'}", _as_database_url
            ),
            storage_url=get("EDOC_STORAGE_URL", f"file://{data_dir / 'blobs'}", _as_storage_url),
            search_url=get("EDOC_SEARCH_URL", "tantivy", _as_search_url),
            secret_key=env.get("EDOC_SECRET_KEY") or _persistent_secret(data_dir),
            host=get("EDOC_HOST", "127.0.0.1"),
            port=get("EDOC_PORT", "5000", _between(1, 65535)),
            demo_password=get("EDOC_DEMO_PASSWORD", "edoc-demo"),
            max_upload_mb=get("EDOC_MAX_UPLOAD_MB", "50", _between(1, 10240)),
            lockout_threshold=get("EDOC_LOCKOUT_THRESHOLD", "5", _between(1, 100)),
            lockout_minutes=get("EDOC_LOCKOUT_MINUTES", "15", _between(1, 10080)),
            api_token_hours=get("EDOC_API_TOKEN_HOURS", "24", _between(1, 8760)),
            # Served over HTTPS (the public address says so): cookies never travel in clear.
            session_cookie_secure=get(
                "EDOC_SESSION_SECURE",
                "true" if env.get("EDOC_PUBLIC_URL", "").startswith("https://") else "false",
                _as_bool,
            ),
            timezone=get("EDOC_TIMEZONE", "Asia/Ho_Chi_Minh", _as_timezone),
            holidays_file=get("EDOC_HOLIDAYS_FILE", "", _as_holidays_file),
            trust_dir=Path(env.get("EDOC_TRUST_DIR", data_dir / "trust")).resolve(),
            organ_id=get("EDOC_ORGAN_ID", "000.00.00.H30", _as_organ_id),
            agency_token_file=Path(
                env.get("EDOC_AGENCY_TOKEN_FILE", data_dir / "agency_token.json")
            ).resolve(),
            tsa_url=get("EDOC_TSA_URL", ""),
            signer_url=get("EDOC_SIGNER_URL", "http://127.0.0.1:8787"),
            place_name=get("EDOC_PLACE_NAME", "Demo"),
            audit_key=get("EDOC_AUDIT_KEY", "", _as_audit_key),
            audit_key_file=get("EDOC_AUDIT_KEY_FILE", "", _as_audit_key_file),
            audit_checkpoint_dir=Path(
                env.get("EDOC_AUDIT_CHECKPOINT_DIR", data_dir / "audit-checkpoints")
            ).resolve(),
            audit_checkpoint_minutes=get("EDOC_AUDIT_CHECKPOINT_MINUTES", "60", _between(1, 1440)),
            ratelimit_login=get(
                "EDOC_RATELIMIT_LOGIN", "30 per minute; 300 per hour", _as_rate_limit
            ),
            ratelimit_token=get(
                "EDOC_RATELIMIT_TOKEN", "30 per minute; 300 per hour", _as_rate_limit
            ),
            ratelimit_storage_url=_ratelimit_storage(env),
            trusted_proxies=get("EDOC_TRUSTED_PROXIES", "0", _between(0, 5)),
            file_tool_memory_mb=get("EDOC_FILE_TOOL_MEMORY_MB", "1536", _between(256, 65536)),
            exchange_max_attempts=get("EDOC_EXCHANGE_MAX_ATTEMPTS", "20", _between(1, 1000)),
            exchange_backoff_seconds=get("EDOC_EXCHANGE_BACKOFF_SECONDS", "30", _between(1, 86400)),
            exchange_backoff_max_seconds=get(
                "EDOC_EXCHANGE_BACKOFF_MAX_SECONDS", "3600", _between(1, 604800)
            ),
            exchange_lease_seconds=get("EDOC_EXCHANGE_LEASE_SECONDS", "300", _between(3, 86400)),
            job_lease_seconds=get("EDOC_JOB_LEASE_SECONDS", "900", _between(1, 86400)),
            job_max_lost_runs=get("EDOC_JOB_MAX_LOST_RUNS", "3", _between(1, 100)),
            outbox_lease_seconds=get("EDOC_OUTBOX_LEASE_SECONDS", "300", _between(1, 86400)),
            exchange_forward_retention_days=get(
                "EDOC_EXCHANGE_FORWARD_RETENTION_DAYS", "30", _between(0, 36500)
            ),
            webhook_allow_private=get("EDOC_WEBHOOK_ALLOW_PRIVATE", "false", _as_bool),
            webhook_max_attempts=get("EDOC_WEBHOOK_MAX_ATTEMPTS", "20", _between(1, 100)),
            smtp_host=get("EDOC_SMTP_HOST", ""),
            smtp_port=get("EDOC_SMTP_PORT", "587", _between(1, 65535)),
            smtp_username=get("EDOC_SMTP_USERNAME", ""),
            smtp_password=get("EDOC_SMTP_PASSWORD", ""),
            smtp_security=get("EDOC_SMTP_SECURITY", "starttls", _as_smtp_security),
            smtp_from=get("EDOC_SMTP_FROM", "edoc@localhost", _as_email_address),
            smtp_timeout=get("EDOC_SMTP_TIMEOUT", "20", _between(1, 600)),
            smtp_max_attempts=get("EDOC_SMTP_MAX_ATTEMPTS", "10", _between(1, 100)),
            digest_hour=get("EDOC_DIGEST_HOUR", "7", _between(0, 23)),
            public_url=get("EDOC_PUBLIC_URL", "", _as_public_url),
            proxy_x_proto=get("EDOC_PROXY_X_PROTO", proxies, _between(0, 5)),
            proxy_x_host=get("EDOC_PROXY_X_HOST", proxies, _between(0, 5)),
            proxy_x_port=get("EDOC_PROXY_X_PORT", "0", _between(0, 5)),
            proxy_x_prefix=get("EDOC_PROXY_X_PREFIX", "0", _between(0, 5)),
            log_format=get("EDOC_LOG_FORMAT", "text", _as_log_format),
            metrics_token=get("EDOC_METRICS_TOKEN", "").strip(),
            s3_access_key=get("EDOC_S3_ACCESS_KEY", ""),
            s3_secret_key=get("EDOC_S3_SECRET_KEY", ""),
            csc_service=get("EDOC_CSC_SERVICE", "false", _as_bool),
            csc_require_https=get("EDOC_CSC_REQUIRE_HTTPS", "true", _as_bool),
            csc_hsm_module=get("EDOC_CSC_HSM_MODULE", ""),
            csc_hsm_pin_file=(
                Path(env["EDOC_CSC_HSM_PIN_FILE"]).resolve()
                if env.get("EDOC_CSC_HSM_PIN_FILE")
                else None
            ),
            csc_sad_seconds=get("EDOC_CSC_SAD_SECONDS", "300", _between(30, 3600)),
            csc_otp_attempts=get("EDOC_CSC_OTP_ATTEMPTS", "5", _between(1, 20)),
            csc_seed_key=get("EDOC_CSC_SEED_KEY", "", _as_audit_key),
            csc_seed_key_file=get("EDOC_CSC_SEED_KEY_FILE", "", _as_audit_key_file),
            csc_revocation=get("EDOC_CSC_REVOCATION", "", _as_revocation_mode),
            csc_providers_file=(
                Path(env["EDOC_CSC_PROVIDERS_FILE"]).resolve()
                if env.get("EDOC_CSC_PROVIDERS_FILE")
                else None
            ),
        )

    def audit_hmac_key(self) -> bytes:
        """The key the audit chain is sealed with; it must never live in the database.

        Losing or changing it makes every keyed row fail ``edoc audit verify``: back it up with
        the database, apart from it (whoever holds both can rewrite the chain undetected until
        the next signed checkpoint is compared).
        """
        if self.audit_key:
            return self.audit_key.encode()
        if self.audit_key_file is not None:
            return _read_audit_key(self.audit_key_file)
        return _persistent_audit_key(self.data_dir / "audit_key")

    def csc_seed_key_material(self) -> bytes:
        """The secret the TOTP seeds of remote credentials are sealed with (HKDF input).

        Kept as the audit key is, and for the same reason: whoever copies the database alone
        must not be able to make a leader's one-time codes. Losing it means re-enrolling."""
        if self.csc_seed_key:
            return self.csc_seed_key.encode()
        if self.csc_seed_key_file is not None:
            return _read_audit_key(self.csc_seed_key_file)
        return _persistent_audit_key(self.data_dir / "csc_seed_key")

    def checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.data_dir / "audit-checkpoints"

    def agency_token_path(self) -> Path:
        return self.agency_token_file or self.data_dir / "agency_token.json"

    def trust_roots(self) -> list[Path]:
        """Certificates (PEM or DER) of the CAs whose signatures this installation trusts."""
        directory = self.trust_dir or self.data_dir / "trust"
        if not directory.is_dir():
            return []
        suffixes = {".pem", ".crt", ".cer", ".der"}
        return sorted(p for p in directory.iterdir() if p.suffix.lower() in suffixes)

    def flask_config(self) -> dict[str, Any]:
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "PREFERRED_URL_SCHEME": "https" if self.session_cookie_secure else "http",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "BABEL_DEFAULT_LOCALE": "vi",
            "BABEL_DEFAULT_TIMEZONE": self.timezone,
            "WTF_CSRF_TIME_LIMIT": None,
            "API_TITLE": "edoc API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_url,
            # Redis down: keep limiting in this process's memory rather than refuse every login.
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "EDOC": self,
        }


AUDIT_KEY_MIN_LENGTH = 32


def _as_audit_key(name: str, raw: str) -> str:
    if raw and len(raw.strip()) < AUDIT_KEY_MIN_LENGTH:
        raise ConfigError(f"{name}: at least {AUDIT_KEY_MIN_LENGTH} characters are needed")
    return raw.strip()


def _as_revocation_mode(name: str, raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in ("", "soft", "hard"):
        raise ConfigError(f"{name}: 'soft' or 'hard', not {raw!r}")
    return mode


def _as_audit_key_file(name: str, raw: str) -> Path | None:
    """A named key file must exist: silently making a new key would orphan the whole chain."""
    if not raw:
        return None
    path = Path(raw).resolve()
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(f"{name}: cannot read {path}: {error.strerror}") from None
    if len(key) < AUDIT_KEY_MIN_LENGTH:
        raise ConfigError(f"{name}: {path} must hold at least {AUDIT_KEY_MIN_LENGTH} characters")
    return path


@functools.cache
def _read_audit_key(path: Path) -> bytes:
    return path.read_text(encoding="utf-8").strip().encode()


def _persistent_audit_key(path: Path) -> bytes:
    """Created once, readable only by the service account. Written aside and hard-linked into
    place, so two processes starting together can neither make two keys nor read a half one."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return _read_audit_key(path)


def _persistent_secret(data_dir: Path) -> str:
    """A per-installation random key kept in the data directory, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key)
    return key
