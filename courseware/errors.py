"""Domain errors raised by services and shown by one handler (see blueprints/errors.py)."""


class DomainError(Exception):
    """Base for errors a user can cause; never a 500."""

    status = 400

    def __init__(self, message: str = "", **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class Unauthorized(DomainError):
    """No (valid) credentials: the API's bearer token is missing, unknown, revoked or expired."""

    status = 401


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class InvalidInput(DomainError):
    status = 400


class ContentError(DomainError):
    """A course package that cannot be published; carries the checker's problems."""

    status = 422

    def __init__(self, message: str = "", problems=None):
        super().__init__(message)
        self.problems = list(problems or [])
