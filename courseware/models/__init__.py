"""All models, importable from one place."""
from .base import utcnow
from .courses import Asset, Course, CourseVersion, Module
from .orgs import PROVIDER_KINDS, SIZE_BANDS, Firm, FirmInvitation, Provider
from .progress import Completion, Enrolment, ModuleProgress, QuizAttempt, TaskCheck
from .users import ROLES, SetupToken, User

__all__ = [
    "Asset", "Completion", "Course", "CourseVersion", "Enrolment", "Firm", "FirmInvitation", "Module",
    "ModuleProgress", "PROVIDER_KINDS", "Provider", "QuizAttempt", "ROLES", "SIZE_BANDS", "SetupToken",
    "TaskCheck", "User", "utcnow",
]
