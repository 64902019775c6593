"""SurveyMonkey's error codes and error body, as its reference lists them (errors.md, overview.md).

Every error is `{"error": {"docs", "message", "id", "name", "http_status_code"}}`. The message
starts with the reference's text for the code and goes on to say what exactly was wrong and where.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.wrappers import Response

from sandbox.service import Rejection, json_response

DOCS = "https://developer.surveymonkey.com/api/v3/#error-codes"


@dataclass(frozen=True)
class ErrorCode:
    status: int
    name: str
    message: str


# The rows of the reference's "Error Codes" table that the sandbox can answer with.
CODES: dict[str, ErrorCode] = {
    "1000": ErrorCode(400, "Bad Request", "Unable to process the request with the provided input."),
    "1001": ErrorCode(400, "Bad Request", "The body provided was not a proper JSON string."),
    "1002": ErrorCode(400, "Bad Request", "Invalid schema in the body provided."),
    "1003": ErrorCode(400, "Bad Request", "Invalid URL parameters."),
    "1010": ErrorCode(401, "Authorization Error", "The authorization token was not provided."),
    "1011": ErrorCode(401, "Authorization Error", "The authorization token provided was invalid."),
    "1014": ErrorCode(
        403, "Permission Error", "Permission has not been granted by the user to make this request."
    ),
    "1020": ErrorCode(
        404, "Resource Not Found", "There was an error retrieving the requested resource."
    ),
    "1025": ErrorCode(
        409,
        "Resource Conflict",
        "Unable to complete the request due to a conflict. Check the settings for the resource.",
    ),
    "1040": ErrorCode(429, "Rate Limit Reached", "Too many requests were made, try again later."),
    "1050": ErrorCode(
        500, "Internal Server Error", "Oh bananas! We couldn't process your request."
    ),
    "1051": ErrorCode(503, "Internal Server Error", "Service unreachable. Please try again later."),
    "1054": ErrorCode(502, "Bad Gateway Error", "Network was unable to connect to server."),
}

# The code the sandbox's shared machinery (routing, injected faults) answers with, by status.
CODE_FOR_STATUS = {
    400: "1000",
    401: "1011",
    403: "1014",
    404: "1020",
    409: "1025",
    429: "1040",
    500: "1050",
    502: "1054",
    503: "1051",
}


def error_json(
    code: str, detail: str = "", status: int | None = None, name: str | None = None
) -> dict[str, object]:
    known = CODES[code]
    message = f"{known.message} {detail}".strip()
    return {
        "error": {
            "docs": DOCS,
            "message": message,
            "id": code,
            "name": name or known.name,
            "http_status_code": status or known.status,
        }
    }


def error(
    code: str, detail: str = "", status: int | None = None, name: str | None = None
) -> Response:
    """The response for error `code`; `status` and `name` only where the reference has no code
    of its own (405)."""
    return json_response(error_json(code, detail, status, name), status or CODES[code].status)


def fail(code: str, detail: str = "") -> Rejection:
    """Raise the result: `raise fail("1020", "Survey 12 does not exist.")`."""
    return Rejection(error(code, detail))
