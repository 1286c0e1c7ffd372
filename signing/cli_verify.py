"""``verify-pdf``: validate a PDF's signatures from the command line.

Exit 0 when every signature is intact, valid and trusted and nothing but allowed changes follow;
1 when any is not (or there is no signature); 2 when the file cannot be read as a PDF.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from signing.errors import PdfInputError, ValidationTimeout
from signing.report_vi import format_report_vi
from signing.validation import validate_pdf

INPUT_MESSAGES = {
    "not_pdf": "Tệp không phải là PDF.",
    "malformed_pdf": "Tệp PDF bị hỏng, không đọc được.",
    "encrypted_pdf": "Tệp PDF đã bị mã hóa; cần mật khẩu hoặc khóa để mở.",
    "too_large": "Tệp quá lớn hoặc quá phức tạp để kiểm tra.",
    "validation_timeout": "Kiểm tra vượt quá thời gian cho phép.",
}


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--at", "at", default=None, help="Validate as of this ISO 8601 time.")
@click.option(
    "--trust",
    "trust",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Trusted root certificate (PEM/DER) or a directory of them; repeatable.",
)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds before giving up.")
def verify_pdf_command(
    file: Path, as_json: bool, at: str | None, trust: tuple[Path, ...], timeout: float
) -> None:
    """Validate every signature in FILE and print a report (Vietnamese, or JSON)."""
    sys.exit(run_verify(file, as_json, parse_moment(at), list(trust), timeout))


def parse_moment(at: str | None) -> datetime | None:
    if not at:
        return None
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {at!r}", param_hint="--at") from None
    if moment.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. +07:00", param_hint="--at")
    return moment


def run_verify(
    file: Path, as_json: bool, moment: datetime | None, roots: list[Path], timeout: float
) -> int:
    """Validate and print; return the exit code."""
    try:
        report = validate_pdf(file, trust_roots=roots, at=moment, timeout=timeout)
    except (PdfInputError, ValidationTimeout) as error:
        if as_json:
            click.echo(json.dumps({"error": {"code": error.code, "message": str(error)}}))
        else:
            click.echo(f"{INPUT_MESSAGES.get(error.code, 'Lỗi')} ({error})", err=True)
        return 2
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report_vi(report))
    return 0 if report.verdict == "ok" else 1


if __name__ == "__main__":
    verify_pdf_command()
