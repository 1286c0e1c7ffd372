"""What waits for a user, gathered from every business area.

Each area registers a provider that returns items for the roles it serves, so the dashboard
never needs to know about areas added later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, url_for

from edoc.core.auth import Person

#: How many rows each list of the dashboard shows; the item's link shows them all.
LIST_LIMIT = 10


@dataclass(frozen=True)
class DashboardEntry:
    """One row of an item's list: a document or a dossier, with what makes it wait."""

    title: str
    url: str
    note: str = ""  # e.g. "hạn 05/03/2026", "đến 02/03/2026"
    urgent: bool = False


@dataclass(frozen=True)
class DashboardItem:
    """A kind of work waiting (new, due soon, overdue, waiting for me): how many, the first
    ``LIST_LIMIT`` of them, and ``url``, the filtered list of all of them.

    Providers build ``entries`` with the same visibility rule as ``count`` (the user's
    clearance inside the query), so a list never shows what the count would not."""

    section: str  # the role label the item belongs under
    title: str
    count: int
    url: str
    urgent: bool = False
    entries: tuple[DashboardEntry, ...] = ()


Provider = Callable[[Person], list[DashboardItem]]


def register_dashboard_provider(app: Flask, provider: Provider) -> None:
    app.extensions.setdefault("edoc.dashboard", []).append(provider)


def items_for(user: Person) -> list[DashboardItem]:
    items: list[DashboardItem] = []
    for provider in current_app.extensions.get("edoc.dashboard", []):
        items.extend(provider(user))
    return items


@dataclass(frozen=True)
class NavLink:
    title: str
    endpoint: str
    roles: frozenset[str]  # empty: every signed-in user

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


def register_nav_link(app: Flask, title: str, endpoint: str, *roles: str) -> None:
    """A top-bar link for the users holding one of ``roles``."""
    app.extensions.setdefault("edoc.nav", []).append(NavLink(title, endpoint, frozenset(roles)))


def nav_links_for(user: Person) -> list[NavLink]:
    held = {role.value for role in user.roles}
    return [
        link
        for link in current_app.extensions.get("edoc.nav", [])
        if not link.roles or link.roles & held
    ]
