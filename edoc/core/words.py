"""How values read to a person: the one set of Jinja filters every template uses.

People never see a stored code: dates are ``dd/mm/yyyy`` and moments ``dd/mm/yyyy HH:MM`` in
the installation's time zone (``EDOC_TIMEZONE``), whatever form they were stored in (a naive
UTC ``datetime`` from the database, or an ISO 8601 string kept in a JSON column such as a
signature report); a signature's modification level and commitment type read in Vietnamese;
people are named by their full name, not their login. Filters live here, once, so that two
pages cannot show one value two ways.

``core`` imports no area: who a user id names is told by the users area through
:func:`register_person_names`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, current_app, g
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from edoc.core.clock import parse_user_date, to_local
from edoc.core.holidays import quick_deadlines
from signing.report_vi import COMMITMENTS, LEVELS

PersonNames = Callable[[Iterable[int]], dict[int, str]]


def as_moment(value: Any) -> datetime | None:
    """A stored moment as an aware local datetime: naive values are UTC (how the database
    keeps them), strings are ISO 8601 (how JSON columns keep them)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return to_local(value)


def date_vn(value: Any) -> str:
    """``dd/mm/yyyy``; a moment is first put in the installation's time zone."""
    if not value:
        return ""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip()).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, datetime | str):
        moment = as_moment(value)
        return moment.strftime("%d/%m/%Y") if moment is not None else str(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def datetime_vn(value: Any) -> str:
    """``dd/mm/yyyy HH:MM`` in the installation's time zone; a plain date stays a date."""
    if not value:
        return ""
    if (isinstance(value, str) and len(value.strip()) == 10) or type(value) is date:
        return date_vn(value)
    moment = as_moment(value)
    return moment.strftime("%d/%m/%Y %H:%M") if moment is not None else str(value)


def iso_date(value: Any) -> str:
    """The ``value`` of an ``<input type="date">``: ``yyyy-mm-dd`` from a date or from what a
    person typed (dd/mm/yyyy or ISO). What is not a date is kept as it came (a refused form
    gives back what was sent; the browser shows such a value empty, the message beside it
    says why)."""
    if isinstance(value, datetime):
        return date_vn(value) and as_moment(value).date().isoformat()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    parsed = parse_user_date(str(value)) if value else None
    return parsed.isoformat() if parsed else str(value or "")


#: Secrecy of a document (độ mật, ND30) by its stored level; the same scale as clearances.
SECRECY_LABELS = (_l("Không"), _l("Mật"), _l("Tối mật"), _l("Tuyệt mật"))


def secrecy_label(level: Any) -> str:
    """ "Mật", "Tối mật", "Tuyệt mật"; empty for an ordinary document."""
    try:
        index = int(level or 0)
    except (TypeError, ValueError):
        return ""
    return str(SECRECY_LABELS[index]) if 0 < index < len(SECRECY_LABELS) else ""


def secrecy_mark(level: Any) -> Markup:
    """The red stamp of a secret document beside its number or subject."""
    label = secrecy_label(level)
    if not label:
        return Markup("")
    return Markup('<mark class="secret" data-testid="secrecy-mark">{}</mark>').format(label)


def secret_series_mark(secret: Any) -> Markup:
    """Beside a number drawn from a secret register: its sequence is not the ordinary one, so
    "số 3" of the secret register is not mistaken for "số 3" of the common one."""
    if not secret:
        return Markup("")
    return Markup(
        '<mark class="secret-series" data-testid="secret-series" title="{}">{}</mark>'
    ).format(_("Số trong sổ văn bản mật: dãy số riêng"), _("Sổ mật"))


def number_vn(value: Any) -> str:
    return format_decimal(value) if value is not None else ""


def modification_level(value: Any) -> str:
    """What changed in a PDF after a signature (pyHanko's level), in Vietnamese."""
    label = LEVELS.get(value) if value in LEVELS else LEVELS[None]
    return label[:1].upper() + label[1:]


def commitment_type(value: Any) -> str:
    """A signature's commitment (``proof_of_approval``); an unknown OID is shown as it is."""
    label = COMMITMENTS.get(value, value or "")
    return label[:1].upper() + label[1:]


def yes_no(value: Any) -> str:
    return _("Có") if value else _("Không")


def register_person_names(app: Flask, names: PersonNames) -> None:
    """The full names of user ids (the users area knows them)."""
    app.extensions["edoc.person_names"] = names


def person_name(user_id: Any, fallback: str = "") -> str:
    """The full name of user ``user_id`` (looked up once per request), else ``fallback``."""
    if not user_id:
        return fallback
    cache: dict[int, str] = g.setdefault("edoc_person_names", {})
    key = int(user_id)
    if key not in cache:
        names = current_app.extensions.get("edoc.person_names")
        cache.update(names([key]) if names else {})
        cache.setdefault(key, "")
    return cache[key] or fallback


def actor_name(event: Any) -> str:
    """Who did an audited action: the person's full name, else what the log kept (a command's
    operator, the name an anonymous caller claimed)."""
    return person_name(getattr(event, "actor_id", None), getattr(event, "actor_name", "") or "")


def init_words(app: Flask, **extra: Callable[..., Any]) -> None:
    """Register the filters; areas add theirs (an event's label…) through ``extra``."""
    app.jinja_env.filters.update(
        date_vn=date_vn,
        datetime_vn=datetime_vn,
        number_vn=number_vn,
        iso_date=iso_date,
        secrecy_label=secrecy_label,
        secrecy_mark=secrecy_mark,
        secret_series_mark=secret_series_mark,
        modification_level=modification_level,
        commitment_type=commitment_type,
        yes_no=yes_no,
        person_name=person_name,
        actor_name=actor_name,
        **extra,
    )
    app.jinja_env.globals.update(quick_deadlines=quick_deadlines)
