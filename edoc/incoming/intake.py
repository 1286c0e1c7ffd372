"""From an HTTP request to checked, stored files (shared by the web form and the API)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from edoc.documents import upload_tokens
from edoc.documents.files import CheckedFile, accept_attachment, accept_pdf, accept_scan
from edoc.errors import AppError
from edoc.incoming import services
from edoc.incoming.models import IncomingDocument, ReceivedVia
from edoc.incoming.prefill import guess_fields
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
    upload_token: str = "",
) -> IncomingDocument:
    if upload_token:
        main = upload_tokens.redeem(upload_token, user.id)
    else:
        main = check_main_file(form["received_via"], _present(uploads))
    extra = [accept_attachment(u) for u in _present(attachments)]
    return services.receive(services.IncomingFields(**form), main, user, extra)
