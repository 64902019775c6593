"""SurveyMonkey API v3 (`/v3/...`)."""

from __future__ import annotations

from typing import ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.auth import bearer_token, same
from sandbox.service import Json, Service, json_response

ACCESS_TOKEN = "sandbox-token"
DOCS = "https://developer.surveymonkey.com/api/v3/#error-codes"
ERROR_IDS = {400: "1000", 401: "1011", 403: "1014", 404: "1020", 405: "1021",
             409: "1025", 429: "1040", 500: "1050", 502: "1050", 503: "1050"}


class SurveyMonkeyService(Service):
    name = "surveymonkey"
    prefix = "/v3"
    rules: ClassVar[list[Rule]] = [Rule("/v3/surveys", endpoint="surveys", methods=["GET"])]

    def authenticate(self, request: Request) -> Response | None:
        if same(bearer_token(request), ACCESS_TOKEN):
            return None
        return self.error_response(
            401, "Authorization Error", "The authorization token provided was invalid."
        )

    def error_response(self, status: int, title: str, detail: str) -> Response:
        body = {"error": {"id": ERROR_IDS.get(status, "1000"), "name": title, "docs": DOCS,
                          "message": detail, "http_status_code": status}}
        return json_response(body, status)

    def on_surveys(self, request: Request) -> Response:
        return json_response({"data": [], "per_page": 50, "page": 1, "total": 0, "links": {}})

    def reset(self) -> None:
        pass

    def state(self) -> Json:
        return {}
