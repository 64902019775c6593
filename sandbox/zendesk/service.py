"""Zendesk Support API v2 (`/api/v2/...`)."""

from __future__ import annotations

from typing import ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.auth import basic_credentials, same
from sandbox.service import Json, Service, json_response

API_USER = "admin@example.com/token"
API_TOKEN = "sandbox-token"


class ZendeskService(Service):
    name = "zendesk"
    prefix = "/api/v2"
    rules: ClassVar[list[Rule]] = []

    def authenticate(self, request: Request) -> Response | None:
        credentials = basic_credentials(request)
        if credentials and same(credentials[0], API_USER) and same(credentials[1], API_TOKEN):
            return None
        return json_response({"error": "Couldn't authenticate you"}, 401)

    def error_response(self, status: int, title: str, detail: str) -> Response:
        return json_response({"error": title, "description": detail}, status)

    def reset(self) -> None:
        pass

    def state(self) -> Json:
        return {}
