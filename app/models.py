"""Every table of the portal, imported in one place for Alembic and the tests."""

from sqlmodel import SQLModel

from app.accounts.models import LoginThrottle, SessionRecord, User
from app.accounts.tokens import ApiToken
from app.attachments.models import Attachment
from app.audit.models import AuditEntry
from app.batches.models import Batch, BatchItem
from app.catalog.models import Service
from app.imports.models import Import
from app.jobs.models import Job
from app.letters.models import Letter, LetterSettings
from app.notifications.models import Notification
from app.ratelimit import RateLimit
from app.regions.models import Region
from app.requests.models import Request, StatusChange
from app.sequences import Counter

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Batch",
    "BatchItem",
    "Counter",
    "Import",
    "Job",
    "Letter",
    "LetterSettings",
    "LoginThrottle",
    "Notification",
    "RateLimit",
    "Region",
    "Request",
    "Service",
    "SessionRecord",
    "StatusChange",
    "User",
    "metadata",
]
