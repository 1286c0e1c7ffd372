"""Archive packages from outside are hostile until proven otherwise.

Each package here starts as a real export and is then altered as an attacker would, manifests and
tag manifests rewritten to match, so that only the attack is left to find: ``verify-package``
must fail naming the entry, and ``import-package`` must refuse with one line, writing nothing
(no blob, no row). ``edoc export`` over a corrupt or missing blob leaves no partial package.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from edoc.cli import cli
from edoc.core.extensions import db
from edoc.documents.models import Document, DocumentFile
from edoc.dossiers import services
from edoc.dossiers.models import Dossier
from edoc.incoming.models import IncomingDocument
from tests.fixtures.documents import export_dossier

pytestmark = pytest.mark.usefixtures("closed_dossier")  # 05.TH: two incoming documents

FOLDER = "data/000.00.00.H30.2026.05.TH"
MAIN = f"{FOLDER}/001/tep/01-main.pdf"
METADATA = f"{FOLDER}/001/van-ban.xml"
REPORT = f"{FOLDER}/001/chu-ky.json"
ALGORITHMS = ("sha256", "sha512")
PASSWD = Path("/etc/passwd")


def _rebag(root: Path, extra_lines: dict[str, Path] | None = None) -> None:
    """Rewrite both manifests (following links, as a naive tool would) and the tag manifests."""
    listing: dict[str, bytes] = {}
    for path in sorted((root / "data").rglob("*")):
        if path.is_file():
            listing[path.relative_to(root).as_posix()] = path.read_bytes()
    for name, source in (extra_lines or {}).items():
        listing[name] = source.read_bytes()
    for alg in ALGORITHMS:
        lines = [
            f"{hashlib.new(alg, data).hexdigest()}  {name}\n" for name, data in listing.items()
        ]
        (root / f"manifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")
    tag_files = ["bagit.txt", "bag-info.txt", *(f"manifest-{alg}.txt" for alg in ALGORITHMS)]
    for alg in ALGORITHMS:
        lines = [
            f"{hashlib.new(alg, (root / name).read_bytes()).hexdigest()}  {name}\n"
            for name in tag_files
        ]
        (root / f"tagmanifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")


def _edit(root: Path, relpath: str, change: Callable[[str], str]) -> None:
    target = root / relpath
    before = target.read_text(encoding="utf-8")
    after = change(before)
    assert after != before, f"the attack did not change {relpath}"
    target.write_text(after, encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _main_path_to(root: Path, path: str, digest_of: Path) -> None:
    """Point document 001's main file at ``path`` (with that file's digest)."""
    main = re.escape(MAIN.removeprefix("data/"))
    _edit(
        root,
        METADATA,
        lambda text: re.sub(
            rf"<Path>{main}</Path>(.*?)<SHA256>[0-9a-f]+</SHA256>",
            lambda m: f"<Path>{path}</Path>{m.group(1)}<SHA256>{_sha256(digest_of)}</SHA256>",
            text,
            count=1,
            flags=re.DOTALL,
        ),
    )


def _state(app: Flask) -> tuple[int, ...]:
    """Rows of every kind an import writes, and blobs in the store."""
    with app.app_context():
        rows = tuple(
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Dossier, Document, DocumentFile, IncomingDocument)
        )
    blobs = app.config["EDOC"].data_dir / "blobs"
    stored = sum(1 for path in blobs.rglob("*") if path.is_file()) if blobs.exists() else 0
    return (*rows, stored)


def _run(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(cli, list(args))
    assert isinstance(result.exception, SystemExit | None), result.exception  # never a traceback
    assert "Traceback" not in result.output
    return result


def _refused(app: Flask, package: Path) -> str:
    before = _state(app)
    result = _run(app, "import-package", str(package))
    assert result.exit_code == 1, result.output
    assert "import refused" in result.output
    assert _state(app) == before
    return result.output


def _symlinked_main(root: Path) -> None:
    (root / MAIN).unlink()
    (root / MAIN).symlink_to(PASSWD)
    _main_path_to(root, MAIN.removeprefix("data/"), PASSWD)


def _billion_laughs(root: Path) -> None:
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 4)
    )
    _edit(
        root,
        METADATA,
        lambda text: text.replace("<VanBan>", f"<!DOCTYPE VanBan [{entities}]>\n<VanBan>").replace(
            "<Language>vi</Language>", "<Language>&l3;</Language>"
        ),
    )


def _external_entity(root: Path) -> None:
    _edit(
        root,
        METADATA,
        lambda text: text.replace(
            "<VanBan>", '<!DOCTYPE VanBan [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<VanBan>'
        ).replace("<Language>vi</Language>", "<Language>&e;</Language>"),
    )


def test_hostile_packages_are_named_by_verify_and_write_nothing(app: Flask, tmp_path: Path) -> None:
    exported = tmp_path / "goi"
    export_dossier(app, "05.TH", exported)
    deep = "../" * len(tmp_path.parts) + "etc/passwd"  # from the bag's root: /etc/passwd

    attacks: dict[str, tuple[Callable[[Path], None], str]] = {
        "traversal": (
            lambda root: _main_path_to(root, "../../../../etc/passwd", PASSWD),
            "../../../../etc/passwd: unsafe path",
        ),
        "absolute": (
            lambda root: _main_path_to(root, "/etc/hostname", Path("/etc/hostname")),
            "/etc/hostname: unsafe path",
        ),
        "symlink": (_symlinked_main, f"{MAIN}: symbolic link"),
        "manifest-line": (
            lambda root: _rebag(root, {"../../etc/passwd": PASSWD, deep: PASSWD}),
            "../../etc/passwd: unsafe path",
        ),
        "manifest-line-in-data": (
            lambda root: _rebag(root, {f"data/{deep}": PASSWD}),
            f"data/{deep}: unsafe path",
        ),
        "billion-laughs": (_billion_laughs, f"{METADATA}: XML refused"),
        "external-entity": (_external_entity, f"{METADATA}: XML refused"),
        "nested-json": (
            lambda root: (root / REPORT).write_text("[" * 100_000 + "]" * 100_000),
            f"{REPORT}: not valid JSON",
        ),
    }
    for name, (attack, named) in attacks.items():
        package = tmp_path / name
        shutil.copytree(exported, package, symlinks=True)
        attack(package)
        if name not in ("manifest-line", "manifest-line-in-data"):
            _rebag(package)
        verified = _run(app, "verify-package", "--no-revalidate", str(package))
        assert verified.exit_code == 1, (name, verified.output)
        assert f"PROBLEM {named}" in verified.output, (name, verified.output)
        assert named in _refused(app, package), name


def test_unusable_metadata_is_refused_in_one_line(app: Flask, tmp_path: Path) -> None:
    """A package that verifies but cannot be loaded whole: refused before anything is written."""
    exported = tmp_path / "goi"
    export_dossier(app, "05.TH", exported)

    def renamed(root: Path) -> None:  # a new dossier code, so only the documents can clash
        _edit(
            root,
            f"{FOLDER}/ho-so.xml",
            lambda text: text.replace("<FileNotation>05.TH", "<FileNotation>06.TH"),
        )

    def without_subject(root: Path) -> None:
        renamed(root)
        _edit(root, METADATA, lambda text: text.split("<Subject>")[0] + text.split("</Subject>")[1])

    def bad_date(root: Path) -> None:
        renamed(root)
        _edit(
            root,
            METADATA,
            lambda text: re.sub(r"<IssuedDate>[^<]*<", "<IssuedDate>31/02/2026<", text),
        )

    def malformed(root: Path) -> None:
        renamed(root)
        _edit(root, METADATA, lambda text: text[: len(text) // 2])

    def signed_number(root: Path) -> None:  # int() reads "+3"; the writing side would not
        renamed(root)
        _edit(
            root,
            METADATA,
            lambda text: re.sub(r"<ConfidenceLevel>[^<]*<", "<ConfidenceLevel>+3<", text).replace(
                "<ConfidenceLevel/>", "<ConfidenceLevel>+3</ConfidenceLevel>"
            ),
        )

    cases: dict[str, tuple[Callable[[Path], None], str]] = {
        "same-dossier": (lambda root: None, "05.TH năm 2026 đã có trong hệ thống"),
        "arrival-clash": (renamed, "001/van-ban.xml: số đến 1 năm"),
        "missing-field": (without_subject, "thiếu trường bắt buộc <Subject>"),
        "bad-date": (bad_date, "giá trị <IssuedDate> không hợp lệ"),
        "signed-number": (signed_number, "giá trị <ConfidenceLevel> không hợp lệ: +3"),
        "malformed": (malformed, f"{METADATA}: metadata is not valid XML"),
        "report-not-object": (
            lambda root: (renamed(root), (root / REPORT).write_text("[]")),
            "chu-ky.json> không hợp lệ",
        ),
    }
    for name, (change, expected) in cases.items():
        package = tmp_path / name
        shutil.copytree(exported, package, symlinks=True)
        change(package)
        _rebag(package)
        output = _refused(app, package)
        assert expected in output, (name, output)
        if name != "malformed":
            assert len(output.strip().splitlines()) == 1, (name, output)


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_export_over_a_bad_blob_leaves_no_package(app: Flask, tmp_path: Path, damage: str) -> None:
    with app.app_context():
        digest = services.by_code(2026, "05.TH").entries[1].document.main_file.sha256
    blob = app.config["EDOC"].data_dir / "blobs" / digest[:2] / digest[2:4] / digest
    if damage == "missing":
        blob.unlink()
    else:
        os.chmod(blob, 0o644)
        data = bytearray(blob.read_bytes())
        data[40] ^= 0x01
        blob.write_bytes(bytes(data))
    out = tmp_path / "exports" / "goi"
    out.parent.mkdir()
    result = _run(app, "export", "--dossier", "05.TH", "--out", str(out), "--as", "luutru")
    assert result.exit_code == 1, result.output
    assert "export failed, nothing written" in result.output
    assert list(out.parent.iterdir()) == []
