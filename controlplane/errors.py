"""Errors the REST API returns as JSON with a status code and a message that names the fix."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.status, "status": self.title, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body

    @property
    def title(self) -> str:
        return type(self).__name__.replace("Error", "") or "Error"


class BadRequestError(ApiError):
    status = 400

    @property
    def title(self) -> str:
        return "Bad Request"


class UnauthorizedError(ApiError):
    status = 401

    @property
    def title(self) -> str:
        return "Unauthorized"


class ForbiddenError(ApiError):
    status = 403

    @property
    def title(self) -> str:
        return "Forbidden"


class NotFoundError(ApiError):
    status = 404

    @property
    def title(self) -> str:
        return "Not Found"


class ConflictError(ApiError):
    status = 409

    @property
    def title(self) -> str:
        return "Conflict"


class TooManyRequestsError(ApiError):
    status = 429

    @property
    def title(self) -> str:
        return "Too Many Requests"
