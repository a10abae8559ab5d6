"""All models, importable from one place."""
from .api_tokens import ApiToken
from .audit import AuditEvent
from .base import set_loaded, utcnow
from .certificates import REVOCATION_REASONS, Certificate, CertificateEvent, FirmCertificate
from .courses import Asset, Course, CourseVersion, Module
from .dma import DMA_DIMENSIONS, DMA_KINDS, DmaAnswer, DmaAssessment, DmaDelegation, DmaScore
from .jobs import JobRun
from .mfa import RecoveryCode, TotpCredential
from .outbox import OUTBOX_STATUSES, OutboxMessage
from .orgs import (JOIN_REQUEST_STATUSES, PROVIDER_KINDS, SIZE_BANDS, VERIFIED_VIA, Firm, FirmInvitation,
                   FirmJoinRequest, Provider, RegistryEntry)
from .reports import FIRM_STATUSES, ReportCube, ReportFirm, ReportRollup
from .progress import BulkUpload, Completion, Enrolment, ModuleProgress, QuizAttempt, TaskCheck
from .studio import DRAFT_FILE_KINDS, CourseDraft, DraftFile, StaffInvitation, StudioEvent
from .users import ROLES, SetupToken, User, UserLogin
from .workshop import AGE_BANDS, MACHINE_KINDS, Machine, MachineGrant, MachinePermission, WorkshopPass

__all__ = [
    "ApiToken", "Asset", "AuditEvent", "RecoveryCode", "TotpCredential", "CourseDraft", "DRAFT_FILE_KINDS", "DraftFile", "StaffInvitation", "StudioEvent", "BulkUpload", "Certificate", "CertificateEvent", "Completion", "Course", "CourseVersion", "DMA_DIMENSIONS", "DMA_KINDS", "DmaAnswer", "DmaAssessment", "DmaDelegation", "DmaScore", "Enrolment", "Firm", "FirmCertificate", "FirmInvitation",
    "FirmJoinRequest", "JOIN_REQUEST_STATUSES", "JobRun", "OUTBOX_STATUSES", "OutboxMessage", "Module", "ModuleProgress", "PROVIDER_KINDS", "Provider",
    "QuizAttempt", "REVOCATION_REASONS", "ROLES", "FIRM_STATUSES", "ReportCube", "ReportFirm", "ReportRollup", "RegistryEntry", "SIZE_BANDS", "SetupToken", "TaskCheck", "User", "UserLogin", "VERIFIED_VIA",
    "set_loaded", "utcnow", "AGE_BANDS", "MACHINE_KINDS", "Machine", "MachineGrant", "MachinePermission",
    "WorkshopPass",
]
