"""Search benchmark: edoc's database backends against a naive SQL LIKE/ILIKE scan, same run.

    .venv/bin/python bench/search.py --docs 1000000 --backend both
    .venv/bin/python bench/search.py --docs 1000000 --backend postgresql --keep

Generates a deterministic synthetic Vietnamese corpus (ND30 document types, provincial
agencies, subjects built from administrative phrases, numbers such as ``125/QĐ-UBND``,
100-150-word bodies with full diacritics, ten years of dates, secrecy levels, units and
signers), indexes it through ``search.open_backend`` (tables ``bench_search_*``), then runs a
fixed mixed query set through ``backend.search`` (top 20, the UI's facets, a realistic
clearance) and the same queries as ``LIKE``/``ILIKE '%…%'`` over a plain table of the same
documents (``bench_search_plain``), and prints indexing docs/s, p50/p95 and the ratio.
Timing is informational, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from search import open_backend
from search.base import IndexDocument, SchemaMismatch, SearchBackend, SearchQuery

PREFIX = "bench_search"
PLAIN = f"{PREFIX}_plain"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
UI_FACETS = ("direction", "doc_type", "year")

# (name, code in the number notation)
TYPES = [
    ("Công văn", ""),
    ("Quyết định", "QĐ"),
    ("Thông báo", "TB"),
    ("Báo cáo", "BC"),
    ("Kế hoạch", "KH"),
    ("Tờ trình", "TTr"),
    ("Giấy mời", "GM"),
    ("Chỉ thị", "CT"),
    ("Hướng dẫn", "HD"),
    ("Công điện", "CĐ"),
    ("Nghị quyết", "NQ"),
    ("Biên bản", "BB"),
]
TYPE_WEIGHTS = [30, 18, 10, 12, 8, 6, 6, 2, 3, 1, 2, 2]
PROVINCES = [
    "Quảng Nam",
    "Đà Nẵng",
    "Thừa Thiên Huế",
    "Quảng Ngãi",
    "Bình Định",
    "Nghệ An",
    "Hà Tĩnh",
    "Thanh Hóa",
    "Lâm Đồng",
    "Đắk Lắk",
    "Cần Thơ",
    "Hải Phòng",
    "Bắc Ninh",
    "Điện Biên",
    "Sóc Trăng",
    "Cà Mau",
]
DISTRICTS = [
    "Điện Bàn",
    "Duy Xuyên",
    "Thăng Bình",
    "Núi Thành",
    "Đại Lộc",
    "Quế Sơn",
    "Hiệp Đức",
    "Tiên Phước",
    "Bắc Trà My",
    "Nam Giang",
    "Đông Giang",
    "Phú Ninh",
]
# (name, code)
AGENCIES = [
    ("Sở Tài chính", "STC"),
    ("Sở Nội vụ", "SNV"),
    ("Sở Xây dựng", "SXD"),
    ("Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("Sở Y tế", "SYT"),
    ("Sở Kế hoạch và Đầu tư", "SKHĐT"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "SNN"),
    ("Sở Tài nguyên và Môi trường", "STNMT"),
    ("Sở Giao thông vận tải", "SGTVT"),
    ("Sở Lao động - Thương binh và Xã hội", "SLĐTBXH"),
    ("Sở Thông tin và Truyền thông", "STTTT"),
    ("Văn phòng UBND tỉnh", "VP"),
    ("Bộ Chỉ huy Quân sự tỉnh", "BCH"),
    ("Công an tỉnh", "CA"),
    ("Ban Quản lý dự án đầu tư xây dựng", "BQLDA"),
    ("Kho bạc Nhà nước tỉnh", "KBNN"),
]
SIGNERS = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "Phạm Đức Dũng",
    "Võ Thị Hạnh",
    "Đặng Quốc Huy",
    "Huỳnh Minh Khoa",
    "Bùi Thị Lan",
    "Đỗ Văn Nghĩa",
    "Hồ Thị Phượng",
]
UNITS = ["Văn phòng", "Phòng Tổng hợp", "Phòng Kinh tế", "Phòng Nội chính", "Phòng Khoa giáo"]
URGENCY = [None] * 14 + ["Khẩn", "Thượng khẩn", "Hỏa tốc"]
SECRECY = [0] * 90 + [1] * 7 + [2] * 2 + [3]
STATUS = ["registered", "assigned", "in_progress", "done", "done", "done"]
TOPICS = [
    "phòng chống cơn bão số {n} và mưa lũ",
    "triển khai kế hoạch cải cách hành chính năm {y}",
    "phân bổ dự toán ngân sách nhà nước năm {y}",
    "tổ chức hội nghị tổng kết công tác năm {y}",
    "báo cáo tình hình thực hiện nhiệm vụ quý {q} năm {y}",
    "tăng cường công tác phòng cháy chữa cháy",
    "bổ nhiệm cán bộ lãnh đạo cấp phòng",
    "điều chỉnh quy hoạch sử dụng đất đến năm 2030",
    "hỗ trợ người dân bị ảnh hưởng bởi thiên tai",
    "kiểm tra công tác văn thư lưu trữ",
    "đầu tư xây dựng trường học và trạm y tế xã",
    "tuyển dụng viên chức ngành giáo dục năm {y}",
    "phòng chống dịch bệnh trên gia súc gia cầm",
    "quyết toán vốn đầu tư dự án hoàn thành",
    "thành lập đoàn kiểm tra liên ngành",
    "đẩy mạnh chuyển đổi số trong cơ quan nhà nước",
    "giải quyết đơn thư khiếu nại tố cáo của công dân",
    "bảo đảm trật tự an toàn giao thông dịp Tết Nguyên đán",
    "cấp giấy chứng nhận quyền sử dụng đất cho hộ gia đình",
    "thực hiện chính sách đối với người có công với cách mạng",
    "sắp xếp đơn vị hành chính cấp huyện, cấp xã",
    "bồi thường, hỗ trợ tái định cư dự án đường ven biển",
    "tiêm chủng vắc xin cho trẻ em trong độ tuổi",
    "xây dựng nông thôn mới nâng cao giai đoạn 2021-2025",
    "đánh giá, xếp loại chất lượng cán bộ, công chức năm {y}",
    "cử cán bộ tham gia lớp bồi dưỡng kiến thức quốc phòng an ninh",
]
SUBJECT_HEADS = ["Về việc ", "V/v ", "", ""]
# Body sentences: {a} agency, {p} province, {d} district, {t} topic, {y} year, {n} number.
SENTENCES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015.",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư.",
    "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh {p} về việc {t}.",
    "Xét đề nghị của Giám đốc {a} tại Tờ trình số {n}/TTr-{c} ngày {dd} tháng {mm} năm {y}.",
    "{a} đề nghị các cơ quan, đơn vị, địa phương khẩn trương triển khai thực hiện.",
    "Ủy ban nhân dân huyện {d} báo cáo kết quả thực hiện nhiệm vụ trong quý vừa qua.",
    "Các sở, ban, ngành và Ủy ban nhân dân các huyện, thị xã, thành phố chịu trách nhiệm thi hành.",
    "Giao {a} chủ trì, phối hợp với các cơ quan liên quan hướng dẫn, kiểm tra, đôn đốc.",
    "Kinh phí thực hiện được bố trí từ nguồn ngân sách nhà nước năm {y} theo phân cấp hiện hành.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp thời "
    "về {a} để tổng hợp, báo cáo.",
    "Tình hình mưa lũ diễn biến phức tạp, gây sạt lở đất tại một số xã miền núi huyện {d}.",
    "Đề nghị Chủ tịch Ủy ban nhân dân các xã, phường, thị trấn chủ động di dời người dân "
    "ra khỏi vùng nguy hiểm.",
    "Tổng kinh phí hỗ trợ là {n} triệu đồng, được giải ngân trước ngày {dd} tháng {mm}.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, chuyển đổi số, sử dụng chữ ký số trong "
    "xử lý văn bản điện tử.",
    "Tiếp tục rà soát, đơn giản hóa thủ tục hành chính, nâng cao chất lượng dịch vụ công "
    "trực tuyến.",
    "Tăng cường kiểm tra, giám sát việc quản lý, sử dụng đất đai, tài nguyên, khoáng sản.",
    "Công an tỉnh phối hợp bảo đảm an ninh trật tự, an toàn giao thông trên địa bàn.",
    "Sở Y tế chỉ đạo các cơ sở y tế sẵn sàng thuốc men, trang thiết bị phục vụ cấp cứu.",
    "Sở Giáo dục và Đào tạo hướng dẫn các trường học bảo đảm an toàn cho học sinh, giáo viên.",
    "Thời hạn gửi báo cáo chậm nhất trước ngày {dd} tháng {mm} năm {y}.",
    "Văn bản này thay thế Công văn số {n}/{c} ngày {dd} tháng {mm} năm {y}.",
    "Quyết định này có hiệu lực kể từ ngày ký.",
    "Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc {a} và Thủ trưởng các cơ quan, đơn vị "
    "liên quan chịu trách nhiệm thi hành Quyết định này.",
    "Kết quả đánh giá cho thấy nhiều chỉ tiêu kinh tế - xã hội đạt và vượt kế hoạch đề ra.",
    "Tuy nhiên, công tác giải ngân vốn đầu tư công còn chậm, tỷ lệ giải ngân chưa đạt yêu cầu.",
    "Đề nghị các đơn vị cử lãnh đạo tham dự hội nghị đúng thành phần, đúng giờ.",
    "Hội nghị tổ chức tại hội trường {a}, thời gian bắt đầu lúc 8 giờ 00 phút.",
    "Ủy ban nhân dân tỉnh yêu cầu xử lý nghiêm các trường hợp vi phạm theo quy định của pháp luật.",
]
# Rare words: each goes into about one document in RARE_EVERY, so a query for one finds a few.
RARE = [
    "Tà Lu",
    "A Vương",
    "Lăng Cô",
    "Cù Lao Chàm",
    "Hòn Khô",
    "Khe Sanh",
    "Trường Sơn Đông",
    "Phước Thành",
    "Tắc Pỏ",
    "Ngọc Linh",
]
RARE_EVERY = 20_000


def _number(rng: random.Random, type_code: str, issuer_code: str, year: int) -> str:
    number = rng.randint(1, 3000)
    if type_code == "":  # công văn: số/viết tắt cơ quan-đơn vị soạn thảo
        return f"{number:02d}/{issuer_code}-VP"
    if type_code in ("QĐ", "NQ", "CT") and rng.random() < 0.3:
        return f"{number:02d}/{year}/{type_code}-{issuer_code}"
    return f"{number:02d}/{type_code}-{issuer_code}"


def generate(count: int, seed: int = 30) -> Iterator[tuple[IndexDocument, str]]:
    """(document, plain search text) pairs, deterministic, dated 2016…2025 in id order."""
    rng = random.Random(seed)
    start = dt.date(2016, 1, 1)
    span = (dt.date(2025, 12, 31) - start).days
    for i in range(count):
        (type_name, type_code) = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        province = rng.choice(PROVINCES)
        if rng.random() < 0.35:
            sender, issuer = f"UBND tỉnh {province}", "UBND"
        elif rng.random() < 0.3:
            sender, issuer = f"UBND huyện {rng.choice(DISTRICTS)}", "UBND"
        else:
            sender, issuer = rng.choice(AGENCIES)
        date = start + dt.timedelta(days=(i * span) // max(count, 1))
        year = date.year
        notation = _number(rng, type_code, issuer, year)
        fill = {
            "n": rng.randint(1, 12),
            "y": year,
            "q": rng.randint(1, 4),
        }
        topic = rng.choice(TOPICS).format(**fill)
        subject = rng.choice(SUBJECT_HEADS) + topic
        subject = subject[0].upper() + subject[1:]
        agency = rng.choice(AGENCIES)
        sentences = []
        words = 0
        target = rng.randint(100, 150)
        while words < target:
            sentence = rng.choice(SENTENCES).format(
                a=agency[0],
                c=agency[1],
                p=province,
                d=rng.choice(DISTRICTS),
                t=rng.choice(TOPICS).format(**fill),
                y=year,
                n=rng.randint(1, 999),
                dd=f"{rng.randint(1, 28):02d}",
                mm=f"{rng.randint(1, 12):02d}",
            )
            sentences.append(sentence)
            words += sentence.count(" ") + 1
        if rng.randrange(RARE_EVERY // len(RARE)) == 0:
            sentences.insert(rng.randrange(len(sentences)), f"Tại khu vực {rng.choice(RARE)}.")
        body = " ".join(sentences)
        doc = IndexDocument(
            id=f"b{i}",
            direction="incoming" if i % 5 < 3 else "outgoing",
            subject=subject,
            number_notation=notation,
            body=body,
            doc_type=type_name,
            sender=sender,
            signer=rng.choice(SIGNERS),
            unit=rng.choice(UNITS),
            urgency=rng.choice(URGENCY),
            secrecy=rng.choice(SECRECY),
            status=rng.choice(STATUS),
            issued_date=date,
        )
        yield doc, f"{notation} {subject} {body}"


@dataclass(frozen=True)
class Case:
    """One benchmark query: what the UI sends, and how the scan baseline spells it."""

    label: str
    kind: str
    query: SearchQuery
    # Patterns ANDed as LIKE '%p%' by the baseline (the user's words, phrases kept whole).
    patterns: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)


def _q(text: str, clearance: int, **kw: Any) -> SearchQuery:
    return SearchQuery(text=text, max_secrecy=clearance, facets=UI_FACETS, **kw)


def _words(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for i, part in enumerate(text.split('"')):
        if i % 2:
            out.append(part.strip())
        else:
            out.extend(part.split())
    return tuple(p for p in out if p)


def cases() -> list[Case]:
    """The fixed mixed query set (clearances 0, 1 and 3 as clerks, leaders and the archive)."""
    spec: list[tuple[str, str, int, dict[str, Any]]] = [
        ("common", "kế hoạch", 0, {}),
        ("common", "ngân sách nhà nước", 1, {}),
        ("common", "ủy ban nhân dân tỉnh", 0, {}),
        ("common", "kiểm tra công tác văn thư", 3, {}),
        ("common", "hỗ trợ người dân thiên tai", 0, {}),
        ("accent-free", "phong chong bao", 0, {}),
        ("accent-free", "cai cach hanh chinh", 1, {}),
        ("accent-free", "quyet toan von dau tu", 0, {}),
        ("đ", "đầu tư xây dựng", 0, {}),
        ("đ", "đất đai", 1, {}),
        ("đ", "dat dai", 0, {}),
        ("đ", "điện biên", 0, {}),
        ("number", "125/QĐ-UBND", 0, {}),
        ("number", "125/QD-UBND", 1, {}),
        ("number", "qđ ubnd 125", 0, {}),
        ("number", "0125 / qd - ubnd", 3, {}),
        ("number", "47/SYT-VP", 0, {}),
        ("phrase", '"cơn bão số 3"', 0, {}),
        ("phrase", '"chuyển đổi số"', 1, {}),
        ("phrase", '"an toàn giao thông" Tết', 0, {}),
        ("filter", "báo cáo", 1, {"filters": {"doc_type": "Báo cáo"}}),
        ("filter", "kiểm tra", 0, {"filters": {"direction": "incoming", "unit": "Phòng Kinh tế"}}),
        (
            "filter",
            "ngân sách",
            0,
            {"date_from": dt.date(2023, 1, 1), "date_to": dt.date(2023, 12, 31)},
        ),
        (
            "filter",
            "thiên tai",
            3,
            {"filters": {"sender": "Sở Nông nghiệp và Phát triển nông thôn"}},
        ),
        ("rare", "Cù Lao Chàm", 0, {}),
        ("rare", "ngoc linh", 1, {}),
        ("rare", "Tắc Pỏ", 0, {}),
        ("date", "thiên tai", 0, {"sort": "date"}),
        ("date", "quyết định bổ nhiệm", 1, {"sort": "date"}),
        ("date", "", 0, {"sort": "date", "filters": {"doc_type": "Quyết định"}}),
    ]
    out = []
    for kind, text, clearance, extra in spec:
        query = _q(text, clearance, **extra)
        label = text or "(list)"
        if extra:
            label += " " + ",".join(sorted(extra))
        out.append(Case(label, kind, query, _words(text), dict(query.filters)))
    return out


# ---- the baseline -------------------------------------------------------------------------
def create_plain(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {PLAIN}")
        conn.exec_driver_sql(
            f"CREATE TABLE {PLAIN} (id TEXT PRIMARY KEY, direction TEXT, doc_type TEXT, "
            "sender TEXT, unit TEXT, secrecy INTEGER NOT NULL, sort_date DATE NOT NULL, "
            "content TEXT NOT NULL)"
        )


def insert_plain(engine: sa.Engine, batch: Sequence[tuple[IndexDocument, str]]) -> None:
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO {PLAIN} VALUES ({', '.join([mark] * 8)})",
            [
                (
                    d.id,
                    d.direction,
                    d.doc_type,
                    d.sender,
                    d.unit,
                    d.secrecy,
                    d.sort_date.isoformat() if mark == "?" else d.sort_date,
                    text,
                )
                for d, text in batch
            ],
        )


def scan(engine: sa.Engine, case: Case) -> int:
    """The naive search: every word as LIKE/ILIKE '%w%', filters, newest 20 first."""
    pg = engine.dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    like = "ILIKE" if pg else "LIKE"
    parts = [f"secrecy <= {mark}"]
    params: list[Any] = [case.query.max_secrecy]
    for pattern in case.patterns:
        parts.append(f"content {like} {mark}")
        params.append(f"%{pattern}%")
    for name, value in case.filters.items():
        parts.append(f"{name} = {mark}")
        params.append(value)
    for op, value in ((">=", case.query.date_from), ("<=", case.query.date_to)):
        if value is not None:
            parts.append(f"sort_date {op} {mark}")
            params.append(value if pg else value.isoformat())
    sql = f"SELECT id FROM {PLAIN} WHERE {' AND '.join(parts)} ORDER BY sort_date DESC LIMIT 20"
    with engine.connect() as conn:
        return len(conn.exec_driver_sql(sql, tuple(params)).all())


# ---- running --------------------------------------------------------------------------------
def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def make_engine(kind: str, args: argparse.Namespace) -> sa.Engine:
    if kind == "postgresql":
        return sa.create_engine(args.db_url, pool_size=2)
    path = Path(
        args.sqlite_path or Path(tempfile.gettempdir()) / f"edoc-bench-search-{args.docs}.db"
    )
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # the application's own pragmas
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.info = {"path": path}  # type: ignore[attr-defined]
    return engine


def db_size(engine: sa.Engine) -> tuple[int, int]:
    """(bytes of the search tables, bytes of the baseline table)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            tables = [f"{PREFIX}_docs", f"{PREFIX}_text", f"{PREFIX}_meta"]
            search = sum(
                conn.exec_driver_sql("SELECT pg_total_relation_size(%s)", (t,)).scalar() or 0
                for t in tables
            )
            plain = conn.exec_driver_sql("SELECT pg_total_relation_size(%s)", (PLAIN,)).scalar()
            return int(search), int(plain or 0)
        try:
            rows = dict(
                conn.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").all()
            )
        except sa.exc.DBAPIError:  # SQLite built without dbstat: the whole file
            rows = {}
    total = sum(rows.values()) or Path(engine.url.database or "").stat().st_size
    plain = sum(
        v for k, v in rows.items() if k == PLAIN or k.startswith(f"sqlite_autoindex_{PLAIN}")
    )
    return int(total - plain), int(plain)


def build(backend: SearchBackend, engine: sa.Engine, args: argparse.Namespace) -> dict[str, float]:
    backend.reset()
    create_plain(engine)
    index_seconds = plain_seconds = 0.0
    batch: list[tuple[IndexDocument, str]] = []
    done = 0
    started = time.perf_counter()

    def flush() -> None:
        nonlocal index_seconds, plain_seconds, done
        t0 = time.perf_counter()
        backend.index(d for d, _ in batch)
        t1 = time.perf_counter()
        insert_plain(engine, batch)
        plain_seconds += time.perf_counter() - t1
        index_seconds += t1 - t0
        done += len(batch)
        batch.clear()
        if done % 50_000 == 0 or done == args.docs:
            print(
                f"  {backend.name}: {done:>9,} docs, {done / index_seconds:,.0f} docs/s indexing "
                f"({time.perf_counter() - started:,.0f} s wall)",
                flush=True,
            )

    for pair in generate(args.docs, args.seed):
        batch.append(pair)
        if len(batch) >= args.batch:
            flush()
    if batch:
        flush()
    # What `edoc reindex` does at its end (backend.optimize), and what autovacuum does soon
    # after a bulk load (visibility map, statistics); the time is reported apart from indexing.
    t0 = time.perf_counter()
    optimize = getattr(backend, "optimize", None)
    if optimize is not None:
        optimize()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in (f"{PREFIX}_docs", f"{PREFIX}_text", PLAIN):
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.commit()
    seconds = time.perf_counter() - t0
    print(f"  {backend.name}: optimize, vacuum/analyze {seconds:,.0f} s", flush=True)
    return {"index_seconds": index_seconds, "plain_seconds": plain_seconds}


def run_backend(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(kind, args)
    backend = open_backend(kind, engine=engine, table_prefix=PREFIX)
    try:
        backend.ensure_schema()
        stale = False
    except SchemaMismatch as exc:  # built by older code: rebuild
        print(f"{kind}: {exc}")
        stale = True
    report: dict[str, Any] = {"backend": kind, "docs": args.docs}
    with engine.connect() as conn:
        have_plain = bool(
            conn.exec_driver_sql(
                "SELECT to_regclass(%s) IS NOT NULL"
                if kind == "postgresql"
                else "SELECT count(*) FROM sqlite_master WHERE name = ?",
                (PLAIN,),
            ).scalar()
        )
        plain_count = (
            conn.exec_driver_sql(f"SELECT count(*) FROM {PLAIN}").scalar() if have_plain else 0
        )
    if args.keep and not stale and backend.count() == args.docs and plain_count == args.docs:
        print(f"{kind}: reusing the indexed corpus of {args.docs:,} documents (--keep)")
    else:
        print(f"{kind}: generating and indexing {args.docs:,} documents …", flush=True)
        timing = build(backend, engine, args)
        report["docs_per_s"] = args.docs / timing["index_seconds"]
        report["plain_docs_per_s"] = args.docs / timing["plain_seconds"]
    report["search_bytes"], report["plain_bytes"] = db_size(engine)

    all_cases = cases()
    if args.queries:
        all_cases = all_cases[: args.queries]
    for case in all_cases:  # warm-up: caches and plans, not timed
        backend.search(case.query)
    times: list[float] = []
    per_case: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for _ in range(args.rounds):
        for case in all_cases:
            t0 = time.perf_counter()
            result = backend.search(case.query)
            elapsed = (time.perf_counter() - t0) * 1000
            times.append(elapsed)
            per_case.setdefault(case.label, []).append(elapsed)
            totals[case.label] = result.total
    report["p50"], report["p95"] = percentile(times, 50), percentile(times, 95)
    report["max"] = max(times)
    report["per_case"] = {k: statistics.median(v) for k, v in per_case.items()}
    report["totals"] = totals

    sample = all_cases[:: args.scan_every]
    scan_times: list[float] = []
    scan_per_case: dict[str, float] = {}
    for case in sample:
        t0 = time.perf_counter()
        scan(engine, case)
        elapsed = (time.perf_counter() - t0) * 1000
        scan_times.append(elapsed)
        scan_per_case[case.label] = elapsed
    report["scan_p50"], report["scan_p95"] = percentile(scan_times, 50), percentile(scan_times, 95)
    report["scan_n"] = len(sample)
    report["scan_per_case"] = scan_per_case
    report["cases"] = all_cases
    report["kinds"] = {c.label: c.kind for c in all_cases}
    engine.dispose()
    return report


def print_report(r: dict[str, Any], args: argparse.Namespace) -> None:
    print()
    print(f"== {r['backend']} — {r['docs']:,} documents ==")
    if "docs_per_s" in r:
        print(
            f"indexing:         {r['docs_per_s']:,.0f} docs/s "
            f"(backend.index, batches of {args.batch})"
        )
        print(f"baseline insert:  {r['plain_docs_per_s']:,.0f} docs/s (plain table)")
    print(
        f"size:             search tables {r['search_bytes'] / 2**20:,.0f} MiB, "
        f"plain table {r['plain_bytes'] / 2**20:,.0f} MiB"
    )
    print(f"{'query':<48} {'kind':<12} {'total':>8} {'edoc ms':>9} {'scan ms':>9}")
    for case in r["cases"]:
        total = r["totals"].get(case.label, 0)
        scan_ms = r["scan_per_case"].get(case.label, float("nan"))
        print(
            f"{case.label[:48]:<48} {case.kind:<12} {total:>8,} "
            f"{r['per_case'][case.label]:>9.1f} {scan_ms:>9.0f}"
        )
    n = len(r["per_case"])
    print(
        f"edoc search:      p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms "
        f"({n} queries × {args.rounds} rounds, warm, top 20 + facets {'/'.join(UI_FACETS)})"
    )
    print(
        f"LIKE scan:        p50 {r['scan_p50']:.0f} ms, p95 {r['scan_p95']:.0f} ms "
        f"({r['scan_n']} of the {n} queries, once each, newest 20, no facets)"
    )
    print(
        f"ratio:            {r['scan_p50'] / r['p50']:.0f}× at p50, "
        f"{r['scan_p95'] / r['p95']:.0f}× at p95 (goal ≥ 50×; goal p95 < 100 ms)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--db-url", default=os.environ.get("EDOC_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--sqlite-path", help="default: $TMPDIR/edoc-bench-search-N.db")
    parser.add_argument("--queries", type=int, default=0, help="run only the first N queries")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds over the query set")
    parser.add_argument("--scan-every", type=int, default=1, help="scan every k-th query only")
    parser.add_argument("--batch", type=int, default=1000, help="documents per index() call")
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse an indexed corpus of size N")
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        print_report(run_backend(kind, args), args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
