"""All models, importable from one place."""
from .base import utcnow
from .courses import Asset, Course, CourseVersion, Module
from .orgs import PROVIDER_KINDS, SIZE_BANDS, Firm, FirmInvitation, Provider, RegistryEntry
from .progress import BulkUpload, Completion, Enrolment, ModuleProgress, QuizAttempt, TaskCheck
from .users import ROLES, SetupToken, User, UserLogin

__all__ = [
    "Asset", "BulkUpload", "Completion", "Course", "CourseVersion", "Enrolment", "Firm", "FirmInvitation", "Module",
    "ModuleProgress", "PROVIDER_KINDS", "Provider", "QuizAttempt", "ROLES", "RegistryEntry", "SIZE_BANDS",
    "SetupToken", "TaskCheck", "User", "UserLogin", "utcnow",
]
