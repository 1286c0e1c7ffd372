"""Export benchmark: edoc's archive export against ``tar`` + ``sha256sum`` of the same files.

Creates an installation in a temporary directory with N documents of M MB each (filed into one
closed dossier), then times ``export_dossiers`` (which writes the bag and its SHA-256 and
SHA-512 manifests in one pass) and, on the same blobs, ``tar cf`` followed by ``sha256sum``.
Prints both times, the ratio, and the peak RSS of the export.

    .venv/bin/python bench/export.py [--docs 50] [--mb 100]     # 5 GB by default
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import MB, Generated, whole_number_options


def main() -> None:
    args = whole_number_options(__doc__.splitlines()[0], docs=50, mb=100)

    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        os.environ["EDOC_DATA_DIR"] = str(root / "var")
        from edoc.app import create_app
        from edoc.blobs.service import blob_store
        from edoc.config import Settings
        from edoc.core.extensions import db
        from edoc.core.migrate import upgrade
        from edoc.demo.agency import create_demo_agency
        from edoc.documents.files import CheckedFile
        from edoc.dossiers import services as dossiers
        from edoc.dossiers.package import export_dossiers
        from edoc.incoming import services as incoming
        from edoc.users.services import find_user

        app = create_app(Settings.from_env())
        with app.app_context():
            upgrade()
            create_demo_agency("bench-password")
            clerk, archivist = find_user("vanthu"), find_user("luutru")
            dossier = dossiers.create(
                dossiers.DossierFields(year=2026, code="BENCH", title="Hồ sơ đo hiệu năng"),
                archivist,
            )
            ids = []
            print(f"storing {args.docs} documents of {args.mb} MB …")
            for index in range(args.docs):
                info = blob_store().put(Generated(args.mb * MB, f"doc-{index}".encode()))  # type: ignore[arg-type]
                checked = CheckedFile(
                    f"van-ban-{index}.pdf", "application/pdf", info.sha256, info.size
                )
                fields = incoming.IncomingFields(
                    sender_org="Sở Tài chính",
                    number_notation=f"{index + 1}/STC",
                    doc_type="CV",
                    subject=f"Văn bản đo hiệu năng số {index + 1}",
                    received_via="paper",
                )
                ids.append(incoming.receive(fields, checked, clerk).document_id)
            dossiers.add_documents(dossier.id, ids, archivist)
            dossiers.close(dossier.id, archivist)
            total_gb = args.docs * args.mb / 1024

            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            began = time.perf_counter()
            export_dossiers(
                [dossiers.get(dossier.id)], root / "bag", "000.00.00.H30", "UBND tỉnh Demo"
            )
            ours = time.perf_counter() - began
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            db.session.remove()

        blobs = root / "var" / "blobs"
        began = time.perf_counter()
        subprocess.run(
            ["tar", "cf", str(root / "baseline.tar"), "--exclude=.tmp", "."], cwd=blobs, check=True
        )
        listing = "find . -type f ! -path './.tmp/*' -print0 | xargs -0 sha256sum"
        subprocess.run(f"{listing} > {root / 'baseline.sha256'}", shell=True, cwd=blobs, check=True)
        baseline = time.perf_counter() - began

    print(f"{args.docs} documents, {total_gb:.1f} GB, {os.cpu_count()} cores")
    megabytes = total_gb * 1024
    print(f"  edoc export (bag, sha256+sha512): {ours:7.1f} s ({megabytes / ours:6.1f} MB/s)")
    print(
        f"  tar + sha256sum:                  {baseline:7.1f} s ({megabytes / baseline:6.1f} MB/s)"
    )
    print(f"  ratio edoc / baseline: {ours / baseline:.2f} (goal <= 1.5)")
    print(f"  peak RSS: {rss_after:.0f} MB (before export {rss_before:.0f} MB; goal: < 200 MB)")


if __name__ == "__main__":
    main()
