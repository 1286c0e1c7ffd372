"""``edoc demo``: the demo agency "UBND tỉnh Demo", created through the same services as the UI."""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from edoc.extensions import db
from edoc.users import services
from edoc.users.models import Clearance, Role, User

AGENCY_NAME = "UBND tỉnh Demo"

DEMO_UNITS = [
    ("UBND", AGENCY_NAME, None),
    ("VP", "Văn phòng UBND tỉnh", "UBND"),
    ("TH", "Phòng Tổng hợp", "VP"),
    ("KT", "Phòng Kinh tế", "VP"),
    ("NC", "Phòng Nội chính", "VP"),
    ("LT", "Lưu trữ cơ quan", "VP"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    title: str
    unit: str
    roles: tuple[Role, ...]
    clearance: Clearance


DEMO_USERS = [
    DemoUser("vanthu", "Trần Thị Bích Ngọc", "Văn thư", "VP", (Role.CLERK,), Clearance.MAT),
    DemoUser("lanhdao", "Nguyễn Văn An", "Chủ tịch", "UBND", (Role.LEADER,), Clearance.TUYET_MAT),
    DemoUser(
        "chuyenvien", "Lê Hoàng Dũng", "Chuyên viên", "TH", (Role.SPECIALIST,), Clearance.NONE
    ),
    DemoUser("luutru", "Phạm Thu Hà", "Lưu trữ viên", "LT", (Role.ARCHIVIST,), Clearance.MAT),
    DemoUser("quantri", "Đỗ Minh Quân", "Quản trị hệ thống", "VP", (Role.ADMIN,), Clearance.NONE),
]


def create_demo_agency(password: str) -> None:
    units: dict[str, int] = {}
    for code, name, parent in DEMO_UNITS:
        unit = services.create_unit(code=code, name=name, parent_id=units.get(parent or ""))
        units[code] = unit.id
    for demo in DEMO_USERS:
        services.create_user(
            username=demo.username,
            full_name=demo.full_name,
            title=demo.title,
            password=password,
            roles=demo.roles,
            unit_id=units[demo.unit],
            clearance=demo.clearance,
        )


def load_demo_year(documents: int) -> None:
    from edoc.demo_content import steps

    plan = steps(documents)
    with click.progressbar(
        plan, label="demo: một năm văn bản", item_show_func=lambda s: s[0] if s else ""
    ) as bar:
        for _label, step in bar:
            step()


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
@click.option("--reset", is_flag=True, help="Drop everything and start over (asks first).")
@click.option("--documents", default=60, show_default=True, help="Incoming documents to create.")
@with_appcontext
def demo_command(if_empty: bool, reset: bool, documents: int) -> None:
    """Load the demo agency: units, one user per role, and a year of paperwork."""
    settings = current_app.config["EDOC"]
    if reset:
        click.confirm("Xóa toàn bộ dữ liệu và tạo lại dữ liệu mẫu?", abort=True)
        from alembic import command

        from edoc.migrate import alembic_config

        db.session.remove()
        command.downgrade(alembic_config(), "base")
        command.upgrade(alembic_config(), "head")
    has_users = (db.session.scalar(select(func.count()).select_from(User)) or 0) > 0
    if has_users and if_empty:
        click.echo("demo: data already present, nothing to do")
    elif has_users:
        raise click.ClickException("the database already has users; demo data not loaded")
    else:
        create_demo_agency(settings.demo_password)
        load_demo_year(documents)
        click.echo(f"demo: created {AGENCY_NAME} with {len(DEMO_USERS)} users")
    click.echo(f"demo accounts (password: {settings.demo_password}):")
    for demo in DEMO_USERS:
        roles = ", ".join(r.label for r in demo.roles)
        click.echo(f"  {demo.username:<11} {roles:<12} {demo.full_name}")
