"""Google's JSON error shape, as Drive v3 answers it, raised as :class:`DriveError`.

``{"error": {"code": 404, "message": "File not found: ID.", "errors": [{"message": ...,
"domain": "global", "reason": "notFound", "location": "fileId", "locationType": "parameter"}]}}``
googleapiclient turns it into ``HttpError`` whose ``error_details[0]['reason']`` is the reason.
"""

from __future__ import annotations

from photosync.emulators.server import Response

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}


class DriveError(Exception):
    """An API error answered in Google's shape; raise it anywhere below a route handler."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        domain: str = "global",
        location: str | None = None,
        location_type: str = "parameter",
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.code, self.reason, self.message, self.domain = code, reason, message, domain
        self.location, self.location_type = location, location_type
        self.headers = headers or {}

    def response(self) -> Response:
        detail = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.location:
            detail.update(location=self.location, locationType=self.location_type)
        body = {"error": {"code": self.code, "message": self.message, "errors": [detail]}}
        if self.code in STATUS_NAMES:
            body["error"]["status"] = STATUS_NAMES[self.code]
        return Response.json(body, self.code, self.headers)


def not_found(file_id: str) -> DriveError:
    return DriveError(404, "notFound", f"File not found: {file_id}.", location="fileId")


def invalid_parameter(name: str, message: str | None = None) -> DriveError:
    return DriveError(
        400, "invalidParameter", message or f"Invalid value for: {name}", location=name
    )


def invalid_query() -> DriveError:
    return DriveError(400, "invalid", "Invalid Value", location="q")


def bad_request(message: str, reason: str = "badRequest") -> DriveError:
    return DriveError(400, reason, message)


def unauthenticated(missing: bool) -> DriveError:
    hint = (
        "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    if missing:
        return DriveError(
            401,
            "required",
            "Request is missing required authentication credential. " + hint,
            location="Authorization",
            location_type="header",
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        )
    return DriveError(
        401,
        "authError",
        "Request had invalid authentication credentials. " + hint,
        location="Authorization",
        location_type="header",
        headers={
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        },
    )


def insufficient_scopes() -> DriveError:
    return DriveError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


# What Drive says today when a user's requests go too fast (seen in tidyverse/googledrive#380);
# the daily upload limit answers the same reason with only "User rate limit exceeded." (below).
USER_RATE_MESSAGE = (
    "User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. You may "
    "consider re-evaluating expected per-user traffic to the API and adjust project quota limits "
    "accordingly."
)


def upload_limit_exceeded() -> DriveError:
    """The daily upload limit (about 750 GB a user), as rclone's ``--drive-stop-on-upload-limit``
    recognises it: 403 ``userRateLimitExceeded`` whose message is exactly "User rate limit
    exceeded." (Google does not document it); no Retry-After, since waiting minutes won't help."""
    return DriveError(
        403, "userRateLimitExceeded", "User rate limit exceeded.", domain="usageLimits"
    )


def rate_limited(user: bool, retry_after: float) -> DriveError:
    headers = {"Retry-After": str(max(1, int(retry_after)))}
    if user:
        return DriveError(
            403, "userRateLimitExceeded", USER_RATE_MESSAGE, domain="usageLimits", headers=headers
        )
    return DriveError(
        429, "rateLimitExceeded", "Rate limit exceeded.", domain="usageLimits", headers=headers
    )
