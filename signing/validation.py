"""Validating every signature in a PDF, bounded in time and memory.

pyHanko does the validation; this module decides what the product calls a good document (every
signature intact, valid and trusted, and nothing but allowed changes after each one), turns the
result into plain data, and runs it in a child process with a wall-clock timeout and an
address-space limit, so a hostile file can neither hang nor exhaust the caller.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import multiprocessing
import resource
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError, PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import NonexistentAttributeError, find_unique_cms_attribute
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from signing.errors import PdfInputError, ValidationTimeout
from signing.inspection import active_content

DEFAULT_TIMEOUT = 60.0
#: CPU seconds the validating child may use. A limit on CPU time, unlike one on wall-clock time,
#: does not depend on how busy the machine is: a file that needs more is refused as too complex,
#: while a good file on an overloaded machine only waits (up to the wall-clock ``timeout``).
DEFAULT_CPU_SECONDS = 30
OUT_OF_CPU = "the file needs more than {} s of processor time to check (too complex)"
DEFAULT_MEMORY_LIMIT_MB = 1536
OUT_OF_MEMORY = "reading this file needs more than the {} MB memory limit"
ALLOWED_LEVELS = {"NONE", "LTA_UPDATES", "FORM_FILLING"}
GOOD_COVERAGE = {"ENTIRE_FILE", "ENTIRE_REVISION"}


@dataclass
class SignatureReport:
    field_name: str
    kind: str = "signature"  # or "timestamp" (a PAdES document time-stamp)
    signer_name: str = ""
    signer_subject: str = ""
    signer_organization: str = ""
    certificate_serial: str = ""
    certificate_issuer: str = ""
    certificate_not_before: str = ""
    certificate_not_after: str = ""
    signing_time: str | None = None  # claimed by the signer
    timestamp_time: str | None = None  # from a trusted time-stamp, if any
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    coverage: str = ""
    modification_level: str | None = None
    docmdp_ok: bool | None = None
    md_algorithm: str = ""
    pades_level: str = ""
    signature_policy: str = ""  # OID of the signature policy (PAdES-EPES), taken at face value
    commitment_type: str = ""  # e.g. "proof_of_approval", or the OID of a custom commitment
    problems: list[str] = field(default_factory=list)

    @property
    def changes_allowed(self) -> bool:
        return (
            self.coverage in GOOD_COVERAGE
            and self.modification_level in ALLOWED_LEVELS
            and self.docmdp_ok is not False
        )

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.changes_allowed


@dataclass
class ValidationReport:
    signatures: list[SignatureReport]
    validated_at: str
    # JavaScript, launch and automatic actions found (codes of signing.inspection), if any
    active_content: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.signatures:
            return "no_signatures"
        return "ok" if all(s.ok for s in self.signatures) else "invalid"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "validated_at": self.validated_at,
            "active_content": self.active_content,
            "signatures": [
                {**vars(s), "changes_allowed": s.changes_allowed, "ok": s.ok}
                for s in self.signatures
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        names = set(SignatureReport.__dataclass_fields__)
        return cls(
            signatures=[
                SignatureReport(**{k: v for k, v in s.items() if k in names})
                for s in data.get("signatures", [])
            ],
            validated_at=data.get("validated_at", ""),
            active_content=list(data.get("active_content", [])),
        )


def _load_certs(sources: list[Any]) -> list[Any]:
    certs = []
    for source in sources:
        if isinstance(source, x509.Certificate):  # loaded already (a long-lived child's roots)
            certs.append(source)
            continue
        if isinstance(source, bytes):
            items: list[Any] = [source]
        elif Path(source).is_dir():
            items = sorted(p for p in Path(source).rglob("*") if p.is_file())
        else:
            items = [Path(source)]
        for item in items:
            data = item if isinstance(item, bytes) else item.read_bytes()
            if pem.detect(data):
                for _type, _headers, der in pem.unarmor(data, multiple=True):
                    certs.append(x509.Certificate.load(der))
            else:
                try:
                    certs.append(x509.Certificate.load(data))
                except ValueError:
                    continue
    return certs


def _name_attr(name: Any, attr: str) -> str:
    try:
        return str(name.native.get(attr, "") or "")
    except (AttributeError, ValueError):
        return ""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def validate_pdf_in_process(
    data: bytes,
    trust_roots: list[Any] | None = None,
    at: datetime | None = None,
    allow_fetching: bool = False,
) -> ValidationReport:
    """Validate in this process (callers should prefer :func:`validate_pdf`)."""
    if not data.lstrip()[:1024].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise PdfInputError("not_pdf", "the file does not start with a PDF header")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise PdfInputError(
                "encrypted_pdf", "the PDF is encrypted; a password or key is needed to open it"
            )
        _walk_pages(reader)
        found = active_content(reader)
    except PdfInputError:
        raise
    except PdfDecodeLimitError as error:  # pyHanko's own cap on inflating streams
        raise PdfInputError("decompression_bomb", f"a stream inflates too far: {error}") from error
    except (PdfError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise PdfInputError("malformed_pdf", f"the PDF cannot be read: {error}") from error
    try:
        signatures = reader.embedded_signatures
    except PdfDecodeLimitError as error:
        raise PdfInputError("decompression_bomb", f"a stream inflates too far: {error}") from error
    except PdfError as error:  # the form tree itself is broken (e.g. circular)
        raise PdfInputError("malformed_pdf", f"the PDF cannot be read: {error}") from error
    except (ValueError, KeyError, TypeError) as error:  # a signature's CMS cannot be parsed
        unreadable = SignatureReport(field_name="", problems=[f"unreadable signature: {error}"])
        return ValidationReport([unreadable], datetime.now(UTC).isoformat(), found)

    roots = _load_certs(trust_roots or [])
    context_args: dict[str, Any] = {"trust_roots": roots, "allow_fetching": allow_fetching}
    if at is not None:
        context_args["moment"] = at
    reports = []
    for embedded in signatures:
        context = ValidationContext(**context_args)
        # str(): pyHanko's TextStringObject drags the whole parsed document along when pickled
        report = SignatureReport(field_name=str(embedded.field_name or ""))
        if embedded.sig_object_type == "/DocTimeStamp":
            reports.append(_timestamp_report(report, embedded, context))
            continue
        try:
            status = validate_pdf_signature(embedded, context)
        except Exception as error:  # a broken signature is a finding, not a crash
            report.problems.append(f"{type(error).__name__}: {error}")
            cert = getattr(embedded, "signer_cert", None)
            if cert is not None:
                _describe_cert(report, cert)
            reports.append(report)
            continue
        _describe_cert(report, status.signing_cert)
        report.intact = bool(status.intact)
        report.valid = bool(status.valid)
        report.trusted = bool(status.trusted)
        report.coverage = status.coverage.name if status.coverage else ""
        level = status.modification_level
        report.modification_level = level.name if level is not None else None
        report.docmdp_ok = status.docmdp_ok
        report.md_algorithm = status.md_algorithm or ""
        report.signing_time = _iso(status.signer_reported_dt)
        if status.timestamp_validity is not None:
            report.timestamp_time = _iso(status.timestamp_validity.timestamp)
        report.pades_level = _pades_level(embedded, status)
        report.signature_policy, report.commitment_type = _policy_and_commitment(embedded)
        if not report.trusted and status.trust_problem_indic is not None:
            report.problems.append(f"trust: {status.trust_problem_indic.name}")
        if status.diff_result is not None and not hasattr(status.diff_result, "modification_level"):
            report.problems.append(f"disallowed change after signing: {status.diff_result}")
        reports.append(report)
    return ValidationReport(reports, datetime.now(UTC).isoformat(), found)


def _timestamp_report(report: SignatureReport, embedded: Any, context: Any) -> SignatureReport:
    report.kind = "timestamp"
    try:
        status = validate_pdf_timestamp(embedded, context)
    except Exception as error:
        report.problems.append(f"{type(error).__name__}: {error}")
        return report
    _describe_cert(report, status.signing_cert)
    report.intact, report.valid, report.trusted = status.intact, status.valid, status.trusted
    report.coverage = status.coverage.name if status.coverage else ""
    level = status.modification_level
    report.modification_level = level.name if level is not None else None
    report.docmdp_ok = status.docmdp_ok
    report.timestamp_time = _iso(status.timestamp)
    report.md_algorithm = status.md_algorithm or ""
    return report


def _walk_pages(reader: Any) -> None:
    """Walk the page tree once: circular or broken trees fail here, not later."""
    seen: set[Any] = set()
    stack = [reader.root.raw_get("/Pages")]
    count = 0
    while stack:
        reference = stack.pop()
        key = getattr(reference, "idnum", None), getattr(reference, "generation", None)
        if key[0] is not None:
            if key in seen:
                raise PdfReadError("circular page tree")
            seen.add(key)
        node = reference.get_object() if hasattr(reference, "get_object") else reference
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            stack.extend(reversed(list(node["/Kids"])))
        else:
            count += 1
        if count > 100_000:
            raise PdfReadError("page tree too large")


def _describe_cert(report: SignatureReport, cert: Any) -> None:
    subject = cert.subject
    report.signer_name = _name_attr(subject, "common_name")
    report.signer_organization = _name_attr(subject, "organization_name")
    report.signer_subject = subject.human_friendly
    report.certificate_serial = format(cert.serial_number, "x")
    report.certificate_issuer = cert.issuer.human_friendly
    validity = cert["tbs_certificate"]["validity"]
    report.certificate_not_before = _iso(validity["not_before"].native) or ""
    report.certificate_not_after = _iso(validity["not_after"].native) or ""


def _policy_and_commitment(embedded: Any) -> tuple[str, str]:
    """The signed signature-policy OID and commitment type, as plain strings ("" if absent)."""
    signed_attrs = embedded.signer_info["signed_attrs"]
    found: list[str] = []
    for attribute in ("signature_policy_identifier", "commitment_type"):
        try:
            value = find_unique_cms_attribute(signed_attrs, attribute)
        except (NonexistentAttributeError, ValueError):  # absent, or more than one
            found.append("")
            continue
        if attribute == "signature_policy_identifier":
            # an implied policy has no OID: reported as absent
            explicit = value.name == "signature_policy_id"
            found.append(value.chosen["sig_policy_id"].dotted if explicit else "")
        else:
            found.append(str(value["commitment_type_id"].native))
    return found[0], found[1]


def _pades_level(embedded: Any, status: Any) -> str:
    if embedded.sig_object.get("/SubFilter") != "/ETSI.CAdES.detached":
        return ""
    level = "B-B"
    if status.timestamp_validity is not None:
        level = "B-T"
    try:
        dss = embedded.reader.root.get("/DSS")
    except Exception:
        dss = None
    if dss is not None and level == "B-T":
        level = "B-LT"
    return level


def _child(
    conn: Any,
    data: bytes,
    roots: list[Any],
    at: datetime | None,
    fetch: bool,
    limit_mb: int,
    cpu_seconds: int,
) -> None:
    """Validate and send back JSON text: only plain data can cross, never a pyHanko object."""
    # SIGXCPU at the soft limit ends the child; SIGKILL at the hard one if it catches that.
    _bound_child(limit_mb, cpu_seconds, cpu_seconds + 5)
    try:
        conn.send(json.dumps(_validated(data, roots, at, fetch, limit_mb)))
    finally:
        conn.close()


def _bound_child(limit_mb: int, cpu_soft: int, cpu_hard: int) -> None:
    """What a validating child does first: pyHanko's findings go in the report, not a log; its
    address space, core dumps and processor time are bounded."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_soft, cpu_hard))


def _validated(
    data: bytes, roots: list[Any], at: datetime | None, fetch: bool, limit_mb: int
) -> dict[str, Any]:
    """A child's reply for one file: its report, or why it was refused. Out of memory, the
    reply says ``ending``: what the child holds after a MemoryError is not to be trusted."""
    try:
        return {"kind": "ok", "report": validate_pdf_in_process(data, roots, at, fetch).to_dict()}
    except PdfInputError as error:
        return _refusal(error.code, str(error))
    except MemoryError:
        return _refusal("too_large", OUT_OF_MEMORY.format(limit_mb)) | {"ending": True}
    except Exception as error:
        return _refusal("malformed_pdf", f"the PDF cannot be read: {error}")


def _refusal(code: str, message: str) -> dict[str, Any]:
    return {"kind": "input", "code": code, "message": message}


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["pyhanko.sign.validation", "pyhanko.pdf_utils.reader"])


def validate_pdf(
    source: bytes | str | Path,
    *,
    trust_roots: list[Any] | None = None,
    at: datetime | None = None,
    allow_fetching: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    cpu_seconds: int = DEFAULT_CPU_SECONDS,
) -> ValidationReport:
    """Validate every signature of a PDF in a child process; raise on unreadable input.

    Raises :class:`PdfInputError` (``not_pdf``, ``malformed_pdf``, ``encrypted_pdf``,
    ``decompression_bomb``, ``too_large`` when the child needs more than ``memory_limit_mb``,
    ``too_complex`` when it needs more than ``cpu_seconds`` of processor time) or
    :class:`ValidationTimeout` when ``timeout`` (wall clock: a last resort, the machine may
    just be busy) passes first.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    roots = [str(r) if isinstance(r, Path) else r for r in (trust_roots or [])]
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(
        target=_child,
        args=(sender, data, roots, at, allow_fetching, memory_limit_mb, cpu_seconds),
    )
    process.start()
    sender.close()
    reply: dict[str, Any] | None = None
    try:
        if not receiver.poll(timeout):
            raise ValidationTimeout(f"validation took longer than {timeout:g} s")
        reply = json.loads(receiver.recv())
    except EOFError:  # the child died without a word: see below why
        pass
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if reply is None:
        if process.exitcode == -signal.SIGXCPU:  # its CPU limit
            raise PdfInputError("too_complex", OUT_OF_CPU.format(cpu_seconds))
        # killed, or aborted on a failed allocation
        raise PdfInputError("too_large", OUT_OF_MEMORY.format(memory_limit_mb))
    if reply["kind"] == "input":
        raise PdfInputError(reply["code"], reply["message"])
    return ValidationReport.from_dict(reply["report"])


#: Files one long-lived child validates before it is replaced by a fresh one: what a file left
#: behind in its memory (caches, fragmentation) cannot build up across a whole migration.
FILES_PER_CHILD = 200


def _serve(
    conn: Any,
    roots: list[Any],
    limit_mb: int,
    cpu_seconds: int,
    files_per_child: int,
) -> None:
    """A long-lived child: validate file after file sent over ``conn`` until told to stop.

    The same bounds as :func:`_child`, per file: its address space for all of them, and a soft
    CPU limit moved to "what was spent so far + ``cpu_seconds``" before each file, so one file
    may use ``cpu_seconds`` and no more; the hard limit (one file's worth more than the whole
    child's share) ends a child that ignored SIGXCPU. After a MemoryError the child answers and
    exits: what it holds after one is not to be trusted.
    """
    hard = (files_per_child + 1) * (cpu_seconds + 5)
    _bound_child(limit_mb, cpu_seconds, hard)
    loaded = _load_certs(roots)  # once for every file, not once a file
    try:
        while True:
            request = conn.recv()
            if request is None:
                return
            source, at, fetch = request
            usage = resource.getrusage(resource.RUSAGE_SELF)
            spent = int(usage.ru_utime + usage.ru_stime) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (min(spent + cpu_seconds, hard), hard))
            reply: dict[str, Any]
            try:
                data = source if isinstance(source, bytes) else Path(source).read_bytes()
            except OSError as error:
                reply = _refusal("not_pdf", f"the file cannot be read: {error}")
            except MemoryError:
                reply = _refusal("too_large", OUT_OF_MEMORY.format(limit_mb)) | {"ending": True}
            else:
                reply = _validated(data, loaded, at, fetch, limit_mb)
            data = b""
            conn.send(json.dumps(reply))
            if reply.get("ending"):
                return
    except (EOFError, OSError):  # the parent went away
        return
    except MemoryError:  # out of memory outside a file's check (receiving it): the parent
        return  # sees the child gone, refuses that file as too large, and starts a fresh one
    finally:
        conn.close()


class Validator:
    """Validate many PDFs (a migration of thousands) in one long-lived, bounded child.

    Why: :func:`validate_pdf` starts a child per file, which costs more than validating a small
    unsigned file. This one keeps a child (forked from the same fork server, pyHanko already
    loaded, the trust roots loaded once) for up to ``files_per_child`` files, with the same
    bounds per file: ``timeout`` of wall clock, ``cpu_seconds`` of processor time,
    ``memory_limit_mb`` of address space. A child that exceeds one is gone (killed, or it ends
    itself) and the next file starts a fresh one; so does every ``files_per_child``-th file.
    Raises as :func:`validate_pdf` does. Use it as a context manager (the child ends with it).
    One caller at a time: it is not thread-safe.
    """

    def __init__(
        self,
        *,
        trust_roots: list[Any] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
        cpu_seconds: int = DEFAULT_CPU_SECONDS,
        files_per_child: int = FILES_PER_CHILD,
    ) -> None:
        self.roots = [str(r) if isinstance(r, Path) else r for r in (trust_roots or [])]
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.cpu_seconds = cpu_seconds
        self.files_per_child = max(1, files_per_child)
        self._process: Any = None
        self._conn: Any = None
        self._served = 0

    def __enter__(self) -> Validator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id, if one is running (tests watch it being replaced)."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        parent, child = _context.Pipe(duplex=True)
        process = _context.Process(
            target=_serve,
            args=(child, self.roots, self.memory_limit_mb, self.cpu_seconds, self.files_per_child),
        )
        try:
            process.start()
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self._process, self._conn, self._served = process, parent, 0

    def close(self) -> None:
        """Tell the child to stop, and make sure it has."""
        if self._process is None:
            return
        process, conn = self._process, self._conn
        self._process = self._conn = None
        with contextlib.suppress(OSError, ValueError):  # already gone
            conn.send(None)
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
        conn.close()

    def _kill(self) -> int | None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process.is_alive():
            process.kill()
        process.join(5)
        conn.close()
        return process.exitcode

    def validate(
        self,
        source: bytes | str | Path,
        *,
        at: datetime | None = None,
        allow_fetching: bool = False,
    ) -> ValidationReport:
        """Validate one PDF (its bytes, or a path the child reads itself)."""
        if self._process is not None and (
            self._served >= self.files_per_child or not self._process.is_alive()
        ):
            self.close()
        if self._process is None:
            self._start()
        self._served += 1
        request = (source if isinstance(source, bytes) else str(source), at, allow_fetching)
        reply: dict[str, Any] | None = None
        try:
            self._conn.send(request)
            if not self._conn.poll(self.timeout):
                self._kill()
                raise ValidationTimeout(f"validation took longer than {self.timeout:g} s")
            reply = json.loads(self._conn.recv())
        except (EOFError, BrokenPipeError, ConnectionResetError):  # the child died: see below
            pass
        if reply is not None and reply.get("ending"):  # it said it is ending: wait for it
            self._kill()
        if reply is None:
            exitcode = self._kill()
            if exitcode == -signal.SIGXCPU:
                raise PdfInputError("too_complex", OUT_OF_CPU.format(self.cpu_seconds))
            raise PdfInputError("too_large", OUT_OF_MEMORY.format(self.memory_limit_mb))
        if reply["kind"] == "input":
            raise PdfInputError(reply["code"], reply["message"])
        return ValidationReport.from_dict(reply["report"])
