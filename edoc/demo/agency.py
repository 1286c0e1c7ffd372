"""The demo agency "UBND tỉnh Demo": its units, one person per role, the agencies it writes to
and the archivist's file plan.

The registers (sổ đăng ký) and document types are the ones every installation starts with
(seeded by the migrations from ``edoc.documents.catalog``); the demo adds none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.directory import services as directory
from edoc.directory.tables import read_table
from edoc.users import services as users
from edoc.users.models import Clearance, Role, User

AGENCY_NAME = "UBND tỉnh Demo"

#: The agency's signing titles (ND30): "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH".
COLLECTIVE_NAME, HEAD_TITLE = "Ủy ban nhân dân", "Chủ tịch"

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
    # the head: signs as CHỦ TỊCH, and the demo's certificates say so too (command.py)
    DemoUser("lanhdao", "Nguyễn Văn An", HEAD_TITLE, "UBND", (Role.LEADER,), Clearance.TUYET_MAT),
    DemoUser(
        "chuyenvien", "Lê Hoàng Dũng", "Chuyên viên", "TH", (Role.SPECIALIST,), Clearance.NONE
    ),
    DemoUser("luutru", "Phạm Thu Hà", "Lưu trữ viên", "LT", (Role.ARCHIVIST,), Clearance.MAT),
    DemoUser("quantri", "Đỗ Minh Quân", "Quản trị hệ thống", "VP", (Role.ADMIN,), Clearance.NONE),
]

#: The province's directory of agencies (about 80: central bodies, the province's departments,
#: its districts and three communes each), as a clerk would import it; none is on this server.
#: The central bodies' codes are illustrative.
DIRECTORY_FILE = Path(__file__).with_name("directory.csv")

#: Agencies the demo's scenes send to by name (mã định danh, name): all in ``DIRECTORY_FILE``.
ORGANIZATIONS = [
    ("000.00.12.H30", "Sở Tài chính tỉnh Demo"),
    ("000.00.13.H30", "Sở Nội vụ tỉnh Demo"),
    ("000.00.21.H30", "Công an tỉnh Demo"),
    ("000.00.31.H30", "UBND huyện Bình An"),
    ("000.00.00.G22", "Văn phòng Chính phủ"),
]

#: The archivist's file plan: (code, title, retention in years or None for permanent, words of
#: the subjects filed in it). ``{y}``: the current year.
DOSSIERS = [
    (
        "01.VP",
        "Hồ sơ phòng, chống thiên tai và tìm kiếm cứu nạn năm {y}",
        10,
        ("bão", "mưa lũ", "thiên tai"),
    ),
    (
        "02.TH",
        "Hồ sơ cải cách hành chính, chuyển đổi số năm {y}",
        10,
        ("cải cách", "chuyển đổi số"),
    ),
    ("03.KT", "Hồ sơ ngân sách, đầu tư công năm {y}", None, ("ngân sách", "đầu tư công")),
    ("04.NC", "Hồ sơ an ninh trật tự, tiếp công dân năm {y}", 20, ("an ninh", "tiếp công dân")),
    ("05.VP", "Hồ sơ hội nghị, giao ban năm {y}", 5, ("hội nghị", "giao ban")),
]
CLOSED_DOSSIERS = {"01.VP", "05.VP"}


def create_demo_agency(password: str, agency_name: str = AGENCY_NAME) -> None:
    """The units (the top one with the agency's signing titles) and one user per role, all with
    ``password`` (as the admin pages create them).

    ``agency_name`` names the top unit, the issuing body of the installation's documents (several
    demo installations exchanging documents must be different agencies).
    """
    operator = Operator.cli("edoc demo")
    units: dict[str, int] = {}
    for code, name, parent in DEMO_UNITS:
        top = parent is None
        unit = users.create_unit(
            code=code,
            name=agency_name if top else name,
            parent_id=units.get(parent or ""),
            collective_name=COLLECTIVE_NAME if top else "",
            head_title=HEAD_TITLE if top else "",
            actor=operator,
        )
        units[code] = unit.id
    for demo in DEMO_USERS:
        users.create_user(
            username=demo.username,
            full_name=demo.full_name,
            title=demo.title,
            password=password,
            roles=demo.roles,
            unit_id=units[demo.unit],
            clearance=demo.clearance,
            actor=operator,
        )
    db.session.commit()  # the users services only flush; this step is done


def create_directory(clerk: User) -> None:
    """The clerk imports the province's directory file, as on the "Nhập danh bạ" page."""
    table = read_table(DIRECTORY_FILE.read_bytes(), DIRECTORY_FILE.name)
    directory.import_table(table, clerk)


@dataclass(frozen=True)
class DemoCast:
    """The people of the day of work, looked up once."""

    clerk: User
    leader: User
    specialist: User
    archivist: User


def cast() -> DemoCast:
    def user(name: str) -> User:
        return db.session.scalar(select(User).where(User.username == name))

    return DemoCast(user("vanthu"), user("lanhdao"), user("chuyenvien"), user("luutru"))
