"""``/api/v1/notifications``: the caller's own notifications and preferences."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask.views import MethodView

from edoc.api import Blueprint, refusals
from edoc.core.auth import api_roles
from edoc.notifications import services
from edoc.notifications.schemas import (
    NotificationArgs,
    NotificationPage,
    NotificationSchema,
    PreferenceSchema,
    PreferencesUpdate,
    ReadAll,
    UnreadCount,
)
from edoc.notifications.views import as_item
from edoc.users.current import caller

blp = Blueprint(
    "notifications_api",
    __name__,
    url_prefix="/api/v1",
    description="Thông báo của người dùng và cách nhận thông báo",
)

S = HTTPStatus


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationArgs, location="query")
    @blp.response(200, NotificationPage)
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The caller's notifications, newest first (only on documents they may see)."""
        total, items = services.list_for(
            caller(), unread_only=args["unread"], page=args["page"], per_page=args["per_page"]
        )
        return {
            "total": total,
            "unread": services.unread_count(caller()),
            "page": args["page"],
            "per_page": args["per_page"],
            "items": [as_item(n) for n in items],
        }


@blp.route("/notifications/unread-count")
class UnreadNotifications(MethodView):
    @blp.response(200, UnreadCount)
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def get(self) -> dict[str, int]:
        """The bell's number: the caller's unread notifications."""
        return {"unread": services.unread_count(caller())}


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationSchema)
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def post(self, notification_id: int) -> dict[str, Any]:
        """Mark one of the caller's notifications read."""
        return as_item(services.mark_read(notification_id, caller()))


@blp.route("/notifications/read-all")
class NotificationsReadAll(MethodView):
    @blp.response(200, ReadAll)
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def post(self) -> dict[str, int]:
        """Mark every unread notification of the caller read."""
        return {"updated": services.mark_all_read(caller())}


@blp.route("/notifications/preferences")
class NotificationPreferences(MethodView):
    @blp.response(200, PreferenceSchema(many=True))
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def get(self) -> list[services.Preference]:
        """How the caller hears of each kind: in the app, by e-mail, in the daily digest."""
        return services.preferences(caller())

    @blp.arguments(PreferencesUpdate)
    @blp.response(200, PreferenceSchema(many=True))
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def put(self, args: dict[str, Any]) -> list[services.Preference]:
        """Change the caller's choices for the kinds given (the others keep theirs)."""
        return services.save_preferences(caller(), args["preferences"])
