"""The error vocabulary shared by every function.

Domain errors carry a stable machine `code` and structured fields; they know nothing of HTTP.
`shared.http` maps each class to a status in one table. Never put SQL or a stack trace in a message.
"""

from __future__ import annotations

from typing import Any


class GXError(Exception):
    """Base of every expected failure. `code` is stable and documented; `message` is for people."""

    code = "ERROR"
    title = "Error"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class BadRequest(GXError):
    code, title = "BAD_REQUEST", "Bad Request"


class ValidationFailed(GXError):
    """Input that parses but violates the schema or a rule; `errors` lists field problems."""

    code, title = "VALIDATION_FAILED", "Unprocessable Content"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.errors = errors or []


class Unauthorized(GXError):
    code, title = "UNAUTHORIZED", "Unauthorized"


class Forbidden(GXError):
    code, title = "FORBIDDEN", "Forbidden"


class NotFound(GXError):
    code, title = "NOT_FOUND", "Not Found"


class MethodNotAllowed(GXError):
    code, title = "METHOD_NOT_ALLOWED", "Method Not Allowed"

    def __init__(self, message: str, *, allow: list[str], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.allow = allow


class Conflict(GXError):
    code, title = "CONFLICT", "Conflict"


class PayloadTooLarge(GXError):
    code, title = "PAYLOAD_TOO_LARGE", "Content Too Large"


class UnsupportedMediaType(GXError):
    code, title = "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"


class RateLimited(GXError):
    code, title = "RATE_LIMITED", "Too Many Requests"

    def __init__(self, message: str, *, retry_after: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class Unavailable(GXError):
    """A dependency is down or the system is paused; the client may retry later."""

    code, title = "SERVICE_UNAVAILABLE", "Service Unavailable"

    def __init__(self, message: str, *, retry_after: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
