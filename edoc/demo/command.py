"""``edoc demo``: the demo agency "UBND tỉnh Demo", created through the same services as the UI.

The command only orders the work and shows it: the agency (:mod:`edoc.demo.agency`), the keys
(:mod:`edoc.demo.keys`), the year of work scene by scene (:mod:`edoc.demo.script`), committed
scene by scene, then the search index.
"""

from __future__ import annotations

import time
from dataclasses import replace

import click
from alembic import command as alembic
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from edoc.audit.services import Operator
from edoc.config import Settings
from edoc.core.extensions import db
from edoc.core.migrate import alembic_config
from edoc.demo import keys as demo_keys
from edoc.demo.agency import AGENCY_NAME, DEMO_USERS, HEAD_TITLE, create_demo_agency
from edoc.demo.keys import DemoKeys
from edoc.demo.script import Step, steps
from edoc.remote_signing import services as remote_signing
from edoc.search.indexing import reindex
from edoc.users.models import User
from signing import pki as labels
from signing.pki import start_demo_pki


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
@click.option("--reset", is_flag=True, help="Drop everything and start over (asks first).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before --reset.")
@click.option("--documents", default=60, show_default=True, help="Incoming documents to create.")
@click.option(
    "--keys/--no-keys",
    default=True,
    show_default=True,
    help="Build the demo PKI and tokens and sign documents (--no-keys: paperwork only).",
)
@click.option(
    "--index/--no-index", default=True, show_default=True, help="Build the search index at the end."
)
@click.option(
    "--paperwork/--no-paperwork",
    default=True,
    show_default=True,
    help="The year of paperwork (--no-paperwork: the agency, its keys and directory only).",
)
@click.option(
    "--agency-name",
    default=AGENCY_NAME,
    show_default=True,
    help="The agency's name (the top unit), e.g. for demo installations that exchange documents.",
)
@with_appcontext
def demo_command(
    if_empty: bool,
    reset: bool,
    yes: bool,
    documents: int,
    keys: bool,
    index: bool,
    paperwork: bool,
    agency_name: str,
) -> None:
    """Load the demo agency: units, one user per role, and a year of paperwork, signed."""
    settings = current_app.config["EDOC"]
    if reset:
        if not yes:
            click.confirm("Xóa toàn bộ dữ liệu và tạo lại dữ liệu mẫu?", abort=True)
        db.session.remove()
        alembic.downgrade(alembic_config(), "base")
        alembic.upgrade(alembic_config(), "head")
    has_users = (db.session.scalar(select(func.count()).select_from(User)) or 0) > 0
    made: DemoKeys | None = None
    if has_users and if_empty:
        click.echo("demo: data already present, nothing to do")
    elif has_users:
        raise click.ClickException("the database already has users; demo data not loaded")
    else:
        started = time.monotonic()
        create_demo_agency(settings.demo_password, agency_name)
        made = _load_year(documents, with_keys=keys, with_index=index, paperwork=paperwork)
        click.echo(
            f"demo: created {agency_name} with {len(DEMO_USERS)} users "
            f"in {time.monotonic() - started:.0f} s"
        )
    click.echo(f"demo accounts (password: {settings.demo_password}):")
    for demo in DEMO_USERS:
        roles = ", ".join(r.label for r in demo.roles)
        click.echo(f"  {demo.username:<11} {roles:<12} {demo.full_name}")
    if made is not None:
        _print_keys(made, settings)


def _load_year(
    documents: int, with_keys: bool, with_index: bool, paperwork: bool = True
) -> DemoKeys | None:
    """A year of paperwork; with keys: the demo PKI, tokens, and everything signed for real.

    The demo PKI's OCSP, CRL and time-stamping service run on a loopback port while the demo is
    built, so the signatures made now are PAdES B-T (time-stamped by the demo TSA).
    """
    settings = current_app.config["EDOC"]
    if not with_keys:
        _run(steps(documents, paperwork=paperwork), with_index)
        return None
    data_dir = settings.data_dir
    demo_keys.remove(data_dir, settings.agency_token_path())
    click.echo("demo: tạo hạ tầng khóa công khai mẫu (CA gốc, CA cấp chứng thư, OCSP, CRL, TSA)…")
    # The leader's certificate carries the leader's own title, as the drafts are signed
    # under it: the signing page's title warning stays for real mismatches.
    with start_demo_pki(data_dir / demo_keys.PKI_DIR, leader_title=HEAD_TITLE) as pki:
        demo_keys.trust(settings.trust_dir or data_dir / "trust", pki)
        current_app.config["EDOC"] = replace(settings, tsa_url=settings.tsa_url or pki.tsa_url)
        try:
            leader, agency = demo_keys.create_tokens(data_dir, pki, settings.agency_token_path())
            demo_keys.create_remote_key(data_dir, pki, agency)
            made = DemoKeys(pki, leader, agency)
            _run(steps(documents, made, tsa_url=pki.tsa_url, paperwork=paperwork), with_index)
            _give_remote_credential()
        finally:
            current_app.config["EDOC"] = settings
    return made


def _give_remote_credential() -> None:
    """The leader's remote key (agency HSM): enrolled by the leader on "Khóa ký số từ xa"."""
    leader = db.session.scalars(select(User).where(User.username == "lanhdao")).one()
    remote_signing.create_agency_credential(
        leader,
        token_label=demo_keys.REMOTE_TOKEN,
        cert_label=labels.LEADER,
        actor=Operator.cli("edoc demo"),
    )
    db.session.commit()


def _run(plan: list[Step], with_index: bool = True) -> None:
    """Each scene, then a commit: the command, not the services, ends each unit of work."""
    if with_index:
        plan = [*plan, ("chỉ mục tìm kiếm", reindex)]  # every page's text, OCR of the scans
    with click.progressbar(
        plan,
        label="demo: một năm văn bản",
        item_show_func=lambda s: s[0] if s else "",
        show_eta=True,
        show_pos=True,
    ) as bar:
        for _label, step in bar:
            step()
            db.session.commit()


def _print_keys(keys: DemoKeys, settings: Settings) -> None:
    """Once, at the end: what the operator needs for the leader's "Ký số" page."""
    leader, agency = keys.leader, keys.agency
    click.echo("demo: chữ ký số")
    click.echo(f"  token lãnh đạo  {leader.label}  PIN {leader.pin}  (tệp {leader.pin_file})")
    click.echo(f"  token cơ quan   {agency.label}  (máy chủ dùng, PIN trong {agency.pin_file})")
    click.echo(
        "  `edoc serve` khởi động edoc-signer với token lãnh đạo; tự chạy tay:\n"
        f"    SOFTHSM2_CONF={leader.hsm.conf_path} edoc-signer --module {leader.module} "
        f"--allow-origin http://{settings.host}:{settings.port}"
    )
    click.echo(
        "  ký từ xa: lanhdao mở “Khóa ký số từ xa” (/account/remote-signing), quét mã QR bằng "
        "ứng dụng xác thực, rồi chọn “Ký từ xa” trên trang Ký số"
    )
