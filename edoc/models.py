"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests)."""

from edoc.audit.models import AuditEvent, AuditHead
from edoc.extensions import Base
from edoc.users.models import ApiToken, Unit, User, UserRole

metadata = Base.metadata

__all__ = ["ApiToken", "AuditEvent", "AuditHead", "Unit", "User", "UserRole", "metadata"]
