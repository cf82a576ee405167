"""Every table of the portal, imported in one place for Alembic and the tests."""

from sqlmodel import SQLModel

from app.accounts.models import LoginThrottle, SessionRecord, User
from app.audit.models import AuditEntry
from app.regions.models import Region

metadata = SQLModel.metadata

__all__ = ["AuditEntry", "LoginThrottle", "Region", "SessionRecord", "User", "metadata"]
