"""ND30 reference data: document types and the registers every agency starts with."""

from __future__ import annotations

# (code, name, abbreviation used in số ký hiệu, legal-normative series)
DOCUMENT_TYPES: list[tuple[str, str, str, bool]] = [
    ("CV", "Công văn", "", False),
    ("NQ", "Nghị quyết", "NQ", True),
    ("QĐ", "Quyết định", "QĐ", True),
    ("CT", "Chỉ thị", "CT", True),
    ("QC", "Quy chế", "QC", False),
    ("QyĐ", "Quy định", "QyĐ", False),
    ("TC", "Thông cáo", "TC", False),
    ("TB", "Thông báo", "TB", False),
    ("HD", "Hướng dẫn", "HD", False),
    ("CTr", "Chương trình", "CTr", False),
    ("KH", "Kế hoạch", "KH", False),
    ("PA", "Phương án", "PA", False),
    ("ĐA", "Đề án", "ĐA", False),
    ("DA", "Dự án", "DA", False),
    ("BC", "Báo cáo", "BC", False),
    ("BB", "Biên bản", "BB", False),
    ("TTr", "Tờ trình", "TTr", False),
    ("HĐ", "Hợp đồng", "HĐ", False),
    ("CĐ", "Công điện", "CĐ", False),
    ("GUQ", "Giấy ủy quyền", "GUQ", False),
    ("GM", "Giấy mời", "GM", False),
    ("GGT", "Giấy giới thiệu", "GGT", False),
    ("PG", "Phiếu gửi", "PG", False),
    ("PC", "Phiếu chuyển", "PC", False),
    ("PB", "Phiếu báo", "PB", False),
    ("SY", "Bản sao y", "SY", False),
    ("SL", "Bản sao lục", "SL", False),
    ("TS", "Bản trích sao", "TS", False),
]

# (direction, code, name, secret)
DEFAULT_REGISTERS: list[tuple[str, str, str, bool]] = [
    ("incoming", "DEN", "Sổ đăng ký văn bản đến", False),
    ("incoming", "DEN-MAT", "Sổ đăng ký văn bản đến mật", True),
    ("outgoing", "DI", "Sổ đăng ký văn bản đi", False),
    ("outgoing", "DI-MAT", "Sổ đăng ký văn bản đi mật", True),
]
