"""From an HTTP request, or a file already in the blob store, to checked files (shared by the
web form, the API and dispatch between agencies of this installation).

The checks run with no database transaction open (``files`` marks them ``slow_work``); the
document is then created in one short transaction by :func:`services.receive`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.errors import AppError
from edoc.core.transactions import slow_work
from edoc.directory import services as directory
from edoc.documents import upload_tokens
from edoc.documents.files import (
    CheckedFile,
    accept_attachment,
    accept_pdf,
    accept_scan,
    check_pdf,
    tmp_root,
)
from edoc.incoming import services
from edoc.incoming.models import IncomingDocument, ReceivedVia
from edoc.incoming.prefill import guess_fields, sender_names
from edoc.users.models import User


def _present(uploads: list[FileStorage] | None) -> list[FileStorage]:
    return [u for u in uploads or [] if u and u.filename]


def check_main_file(received_via: str, uploads: list[FileStorage]) -> CheckedFile:
    if not uploads:
        raise AppError("file_required", _("Cần đính kèm tệp văn bản."), 422)
    if received_via == ReceivedVia.ELECTRONIC:
        if len(uploads) != 1:
            raise AppError("one_file_expected", _("Văn bản điện tử phải là đúng một tệp PDF."), 422)
        return accept_pdf(uploads[0], validate_signatures=True)
    return accept_scan(uploads)


def analyse(user: User, received_via: str, uploads: list[FileStorage]) -> dict[str, Any]:
    """Check and store the file, and say what could be read from it."""
    checked = check_main_file(received_via, _present(uploads))
    prefill = guess_fields(
        checked.first_page_text, checked.signer_name(), checked.signer_organisation()
    )
    if checked.page_count:
        prefill["page_count"] = checked.page_count
    sender = directory.match_sender(
        sender_names(checked.first_page_text, checked.signer_organisation())
    )
    if sender is not None:  # the directory's name, not a new spelling of a known agency
        prefill["sender_org"] = sender.name
        prefill["sender_code"] = sender.code
    return {
        "upload_token": upload_tokens.issue(checked, user.id),
        "filename": checked.filename,
        "page_count": checked.page_count,
        "prefill": prefill,
        "signature_report": checked.signature_report,
    }


def receive(
    user: User,
    form: dict[str, Any],
    uploads: list[FileStorage] | None,
    attachments: list[FileStorage] | None,
) -> IncomingDocument:
    """Receive what the page or the API sent: ``form`` as ``schemas.ReceiveForm`` loads it, the
    main file either uploaded now or named by the ``upload_token`` of an earlier analysis."""
    form = dict(form)
    upload_token = form.pop("upload_token", "")
    if upload_token:
        main = upload_tokens.redeem(upload_token, user.id)
    else:
        main = check_main_file(form["received_via"], _present(uploads))
    extra = [accept_attachment(u) for u in _present(attachments)]
    return services.receive(services.IncomingFields(**form), main, user, extra)


@slow_work
def check_stored_pdf(
    sha256: str, filename: str, *, validate_signatures: bool, size: int | None = None
) -> CheckedFile:
    """Check a PDF already in the blob store as an upload is checked (readable, unencrypted,
    signatures validated when asked): the receiving side of a dispatch trusts no report that
    came with the file. Runs outside any transaction, like every check."""
    with tempfile.TemporaryDirectory(dir=tmp_root()) as directory:
        path = Path(directory) / "stored.pdf"
        with storage_errors(), blob_store().open(sha256) as stream, path.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
        check = check_pdf(path, validate_signatures=validate_signatures)
        return CheckedFile(
            filename=filename,
            content_type="application/pdf",
            sha256=sha256,
            size=size if size is not None else path.stat().st_size,
            page_count=check.page_count,
            signature_report=check.signature_report,
            active_content=check.active_content,
        )
