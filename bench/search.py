"""Search benchmark: Tantivy, SQLite FTS5 and PostgreSQL side by side, with a LIKE baseline.

    nice -n 10 .venv/bin/python bench/search.py --docs 200000
    .venv/bin/python bench/search.py --docs 1000000 --backends tantivy,sqlite --keep

Generates a deterministic synthetic Vietnamese corpus (ND30 document types, provincial
agencies, subjects built from administrative phrases, numbers such as ``125/QĐ-UBND``,
100-150-word bodies with full diacritics, ten years of dates, secrecy levels, units and
signers), indexes it through ``search.open_backend`` (tables ``bench_search_*``), then runs a
fixed mixed query set through ``backend.search`` (top 20, the UI's facets, a realistic
clearance) and the same queries as ``LIKE``/``ILIKE '%…%'`` over a plain table of the same
documents (``bench_search_plain``), and prints indexing docs/s, p50/p95 and the ratio.
The backends are timed query by query in turn (the same machine load for each), then a
ranking-at-scale check: each backend's top 10 against a reference ranking computed here over
ALL matches (search.ranking's signals + BM25 + the recency prior; see ``Reference``).
Timing is informational, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
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
from search import tantivy_backend as tb
from search.analysis import analyse, number_tokens, parse_query
from search.base import IndexDocument, SchemaMismatch, SearchBackend, SearchQuery
from search.ranking import Candidate, Found, score

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
            plain = conn.exec_driver_sql(
                "SELECT pg_total_relation_size(to_regclass(%s))", (PLAIN,)
            ).scalar()
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


def build(
    backend: SearchBackend, engine: sa.Engine | None, args: argparse.Namespace
) -> dict[str, float]:
    backend.reset()
    if engine is not None:
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
        if engine is not None:
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
    database = getattr(backend, "_bind", None)
    if engine is None and database is None:  # Tantivy: nothing more
        print(f"  {backend.name}: optimize {time.perf_counter() - t0:,.0f} s", flush=True)
        return {"index_seconds": index_seconds, "plain_seconds": plain_seconds}
    engine = engine if engine is not None else database
    plain_tables = (PLAIN,) if args.scan_every else ()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in (f"{PREFIX}_docs", f"{PREFIX}_text", *plain_tables):
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.commit()
    seconds = time.perf_counter() - t0
    print(f"  {backend.name}: optimize, vacuum/analyze {seconds:,.0f} s", flush=True)
    return {"index_seconds": index_seconds, "plain_seconds": plain_seconds}


@dataclass
class Engine:
    """One backend under test, with what the report needs of it."""

    kind: str
    backend: SearchBackend
    engine: sa.Engine | None = None  # the database (and its baseline table); None for Tantivy
    report: dict[str, Any] = field(default_factory=dict)


def tantivy_path(args: argparse.Namespace) -> Path:
    return Path(
        args.tantivy_path or Path(tempfile.gettempdir()) / f"edoc-bench-tantivy-{args.docs}"
    )


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def open_engine(kind: str, args: argparse.Namespace) -> Engine:
    """Open (and, unless ``--keep`` finds it built, build) one backend's index."""
    if kind == "tantivy":
        under_test = Engine(kind, open_backend(f"tantivy://{tantivy_path(args)}"))
    else:
        engine = make_engine(kind, args)
        under_test = Engine(kind, open_backend(kind, engine=engine, table_prefix=PREFIX), engine)
    backend = under_test.backend
    # the LIKE baseline table only when it is scanned (loading it costs as much as indexing)
    engine = under_test.engine if args.scan_every else None
    try:
        backend.ensure_schema()
        stale = False
    except SchemaMismatch as exc:  # built by older code: rebuild
        print(f"{kind}: {exc}")
        stale = True
    report: dict[str, Any] = {"backend": kind, "docs": args.docs}
    plain_count = args.docs
    if engine is not None:
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
        if engine is not None:
            report["plain_docs_per_s"] = args.docs / timing["plain_seconds"]
    if under_test.engine is not None:
        report["search_bytes"], report["plain_bytes"] = db_size(under_test.engine)
    else:
        report["search_bytes"], report["plain_bytes"] = dir_size(tantivy_path(args)), 0
    under_test.report = report
    return under_test


def time_queries(engines: list[Engine], all_cases: list[Case], args: argparse.Namespace) -> None:
    """Every backend on every query, alternating query by query (the same machine load)."""
    for case in all_cases:  # warm-up: caches and plans, not timed
        for e in engines:
            e.backend.search(case.query)
    times: dict[str, list[float]] = {e.kind: [] for e in engines}
    per_case: dict[str, dict[str, list[float]]] = {e.kind: {} for e in engines}
    for _ in range(args.rounds):
        for case in all_cases:
            for e in engines:
                t0 = time.perf_counter()
                result = e.backend.search(case.query)
                elapsed = (time.perf_counter() - t0) * 1000
                times[e.kind].append(elapsed)
                per_case[e.kind].setdefault(case.label, []).append(elapsed)
                e.report.setdefault("totals", {})[case.label] = result.total
                e.report.setdefault("exact", {})[case.label] = result.total_exact
                e.report.setdefault("top10", {})[case.label] = [h.id for h in result.hits[:10]]
    for e in engines:
        r = e.report
        r["p50"], r["p95"] = percentile(times[e.kind], 50), percentile(times[e.kind], 95)
        r["max"] = max(times[e.kind])
        r["per_case"] = {k: statistics.median(v) for k, v in per_case[e.kind].items()}
        r["scan_per_case"] = {}
        if e.engine is not None and args.scan_every:
            for case in all_cases[:: args.scan_every]:
                t0 = time.perf_counter()
                scan(e.engine, case)
                r["scan_per_case"][case.label] = (time.perf_counter() - t0) * 1000
            scans = list(r["scan_per_case"].values())
            r["scan_p50"], r["scan_p95"] = percentile(scans, 50), percentile(scans, 95)


# ---- the ranking-at-scale check -------------------------------------------------------------
BM25_K1, BM25_B = 1.2, 0.75


class Reference:
    """A ranking over ALL matches, computed here in Python, not by any backend.

    The matches come from Tantivy (each backend's exact total must equal their number:
    checked and printed otherwise). Each match is scored with search.ranking.score (the
    signals the relevance set is tuned on) plus BM25 (its own formula here; document
    frequencies from the index, average field lengths from a sample of the corpus) at the
    Tantivy backend's weight and field boosts, times its recency prior; equal scores go to the
    newer document. Exact but pruned: every match gets an upper bound from its short fields
    (the body can add at most the phrase and diacritics signals and its BM25 ceiling), and
    only matches whose bound reaches the current tenth best are scored in full.
    """

    FIELDS = ("num", "subj", "meta", "body")

    def __init__(self, docs: list[IndexDocument], tantivy: SearchBackend) -> None:
        self.docs = docs  # bench documents are b0…bN-1, indexed in that order
        self.tantivy = tantivy
        searcher = tantivy._generation().index.searcher()  # type: ignore[attr-defined]
        self.searcher = searcher
        self.n_docs = searcher.num_docs
        sample = docs[:: max(1, len(docs) // 5000)]
        self.avgdl = {
            f: max(1.0, statistics.fmean(len(self.head(d)[f][0]) for d in sample))
            for f in ("num", "subj", "meta")
        }
        self.avgdl["body"] = max(1.0, statistics.fmean(len(analyse(d.body)[0]) for d in sample))
        self.df_cache: dict[tuple[str, str], int] = {}

    @staticmethod
    def head(doc: IndexDocument) -> dict[str, tuple[list[str], list[str]]]:
        meta = " ".join(
            v for v in (doc.doc_type, doc.sender, doc.signer, doc.unit, doc.urgency) if v
        )
        return {
            "num": (number_tokens(doc.number_notation), []),
            "subj": analyse(doc.subject),
            "meta": analyse(meta),
        }

    def df(self, field_name: str, term: str) -> int:
        key = (field_name, term)
        if key not in self.df_cache:
            self.df_cache[key] = self.searcher.doc_freq(field_name, term)
        return self.df_cache[key]

    def idf(self, field_name: str, words: list[str]) -> float:
        return sum(
            math.log(
                1 + (self.n_docs - self.df(field_name, w) + 0.5) / (self.df(field_name, w) + 0.5)
            )
            for w in words
        )

    def bm25(self, field_name: str, tokens: list[str], words: list[str]) -> float:
        if not tokens:
            return 0.0
        width = len(words)
        if width == 1:
            tf = tokens.count(words[0])
        else:
            tf = sum(1 for i in range(len(tokens) - width + 1) if tokens[i : i + width] == words)
        if not tf:
            return 0.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / self.avgdl[field_name])
        return self.idf(field_name, words) * tf * (BM25_K1 + 1) / (tf + norm)

    def score(self, parsed: Any, doc: IndexDocument, body: bool) -> float:
        """The full score (``body``), or an upper bound of it from the short fields."""
        f = self.head(doc)
        if body:
            f["body"] = analyse(doc.body)
        terms = parsed.terms()
        folded = [t.folded for t in terms]
        accented = [t.accented for t in terms]

        def has(tokens: list[str], words: list[str]) -> bool:
            width = len(words)
            return any(tokens[i : i + width] == words for i in range(len(tokens) - width + 1))

        texts = ("subj", "meta", "body") if body else ("subj", "meta")
        found = {Found.ANY}
        if folded and set(folded) <= set(f["num"][0]):
            found.add(Found.NUMBER)
        if not body or (len(terms) > 1 and any(has(f[x][0], folded) for x in texts)):
            found.add(Found.PHRASE)
        clauses_accented = [[t.accented for t in getattr(c, "terms", (c,))] for c in parsed.clauses]
        if not body or (
            folded != accented
            and all(any(has(f[x][1], w) for x in texts) for w in clauses_accented)
        ):
            found.add(Found.ACCENTED)
        if any(has(f[x][1], accented) for x in ("subj", "meta")):
            found.add(Found.EXACT_PHRASE)
        cand = Candidate(0, f["subj"][0], f["subj"][1], f["meta"][0], f["num"][0], found)
        signals = score(parsed, cand)
        bm25 = 0.0
        for clause in parsed.clauses:
            words = [t.folded for t in getattr(clause, "terms", (clause,))]
            fields = tb.PHRASE_FIELDS if len(words) > 1 else tuple(tb.FIELD_BOOSTS)
            per = []
            for x in fields:
                if x == "body" and not body:  # BM25's ceiling: tf-norm below k1 + 1
                    per.append(tb.FIELD_BOOSTS[x] * self.idf(x, words) * (BM25_K1 + 1))
                else:
                    per.append(tb.FIELD_BOOSTS[x] * self.bm25(x, f[x][0], words))
            best = max(per)
            bm25 += best + 0.1 * (sum(per) - best)
        prior = tb._prior(doc.sort_date.toordinal())
        return (signals + tb.BM25_WEIGHT * bm25) * math.log2(2 + prior)

    def top(self, case: Case, k: int = 10) -> tuple[list[str], int]:
        """The reference top ``k`` of a query and its number of matches."""
        query = dataclasses.replace(case.query, sort="date", facets=(), page=1, per_page=1)
        parsed = parse_query(query.text)
        total = self.tantivy.search(query).total
        result = self.searcher.search(
            tb.build_query(query, parsed), max(1, total), count=False, order_by_field="ord"
        )
        # newest first; the bench's documents were indexed in id order, one generation, so
        # the order key's sequence is the document's number
        orders = [order for order, _ in result.hits]
        matches = [self.docs[order & ((1 << tb.SEQ_BITS) - 1)] for order in orders]
        bounds = sorted(
            ((-self.score(parsed, d, body=False), newness, d) for newness, d in enumerate(matches)),
            key=lambda item: (item[0], item[1]),
        )
        best: list[tuple[float, int, str]] = []
        for bound, newness, doc in bounds:
            if len(best) >= k and -bound < -best[k - 1][0] - 1e-9:
                break
            best.append((-round(self.score(parsed, doc, body=True), 6), newness, doc.id))
            best.sort()
            del best[k:]
        return [doc_id for _, _, doc_id in best], total


def ranking_check(engines: list[Engine], all_cases: list[Case], args: argparse.Namespace) -> None:
    """overlap@10 of each backend's top 10 with the reference, per query and on average."""
    tantivy = next((e for e in engines if e.kind == "tantivy"), None)
    if tantivy is None:
        print("ranking check skipped: it needs the tantivy backend for the match sets")
        return
    t0 = time.perf_counter()
    docs = [doc for doc, _ in generate(args.docs, args.seed)]
    reference = Reference(docs, tantivy.backend)
    for case in all_cases:
        if case.query.sort != "relevance" or not case.query.text:
            continue
        top, total = reference.top(case)
        if not top:  # nothing matches: nothing to rank
            continue
        for e in engines:
            got = e.report["top10"][case.label]
            overlap = len(set(got) & set(top)) / len(top)
            e.report.setdefault("overlap", {})[case.label] = overlap
            got_total = e.report["totals"][case.label]
            if got_total != total and e.report["exact"][case.label]:
                print(f"  MATCH SETS DIFFER on {case.label!r}: {e.kind} {got_total} vs {total}")
    print(f"ranking check: reference over all matches in {time.perf_counter() - t0:,.0f} s")


def print_reports(engines: list[Engine], all_cases: list[Case], args: argparse.Namespace) -> None:
    print()
    print(f"== {args.docs:,} documents: {', '.join(e.kind for e in engines)} side by side ==")
    for e in engines:
        r = e.report
        line = f"{e.kind:<11} "
        if "docs_per_s" in r:
            line += f"indexing {r['docs_per_s']:,.0f} docs/s, "
        line += f"size {r['search_bytes'] / 2**20:,.0f} MiB"
        if r.get("plain_bytes"):
            line += f" (+{r['plain_bytes'] / 2**20:,.0f} MiB baseline table)"
        print(line)
    kinds = [e.kind for e in engines]
    head = f"{'query':<40} {'kind':<11}" + "".join(f" {k[:10]:>10}" for k in kinds)
    head += "".join(f" {'@10 ' + k[:5]:>10}" for k in kinds)
    print(head)
    for case in all_cases:
        row = f"{case.label[:40]:<40} {case.kind:<11}"
        row += "".join(f" {e.report['per_case'][case.label]:>8.1f}ms" for e in engines)
        row += "".join(
            f" {e.report.get('overlap', {}).get(case.label, float('nan')):>10.1f}" for e in engines
        )
        print(row)
    print("totals (exact?):")
    for case in all_cases:
        print(
            f"  {case.label[:40]:<40}"
            + "".join(
                f" {e.report['totals'][case.label]:>8,}"
                + ("" if e.report["exact"][case.label] else "+")
                for e in engines
            )
        )
    base = engines[0].report
    for e in engines:
        r = e.report
        overlaps = list(r.get("overlap", {}).values())
        mean = statistics.fmean(overlaps) if overlaps else float("nan")
        ratio = (
            f"; vs {engines[0].kind}: p50 {r['p50'] / base['p50']:.2f}×, "
            f"p95 {r['p95'] / base['p95']:.2f}×"
        )
        print(
            f"{e.kind:<11} p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, max {r['max']:.1f} ms; "
            f"overlap@10 mean {mean:.2f}, min {min(overlaps, default=float('nan')):.1f}"
            + (ratio if e is not engines[0] else "")
        )
        if r.get("scan_per_case"):
            print(
                f"{'':<11} LIKE scan p50 {r['scan_p50']:.0f} ms, p95 {r['scan_p95']:.0f} ms "
                f"({len(r['scan_per_case'])} queries): {r['scan_p50'] / r['p50']:.0f}× at p50"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument(
        "--backends",
        default="tantivy,sqlite,postgresql",
        help="comma-separated, run side by side; the first is the ratios' baseline",
    )
    parser.add_argument("--db-url", default=os.environ.get("EDOC_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--sqlite-path", help="default: $TMPDIR/edoc-bench-search-N.db")
    parser.add_argument("--tantivy-path", help="default: $TMPDIR/edoc-bench-tantivy-N")
    parser.add_argument("--queries", type=int, default=0, help="run only the first N queries")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds over the query set")
    parser.add_argument(
        "--scan-every", type=int, default=1, help="scan every k-th query only (0: no scan)"
    )
    parser.add_argument("--batch", type=int, default=1000, help="documents per index() call")
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse an indexed corpus of size N")
    parser.add_argument("--no-ranking-check", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    engines = [open_engine(kind.strip(), args) for kind in args.backends.split(",") if kind]
    all_cases = cases()
    if args.queries:
        all_cases = all_cases[: args.queries]
    time_queries(engines, all_cases, args)
    if not args.no_ranking_check:
        ranking_check(engines, all_cases, args)
    print_reports(engines, all_cases, args)
    print(f"whole run: {time.perf_counter() - started:,.0f} s")
    for e in engines:
        e.backend.close()
        if e.engine is not None:
            e.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
