"""Mailchimp Marketing API 3.0 (`/3.0/...`)."""

from __future__ import annotations

from typing import ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.auth import basic_credentials, same
from sandbox.service import Json, Service, json_response

API_KEY = "sandbox-us1"
PROBLEM_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"


class MailchimpService(Service):
    name = "mailchimp"
    prefix = "/3.0"
    rules: ClassVar[list[Rule]] = [Rule("/3.0/ping", endpoint="ping", methods=["GET"])]

    def authenticate(self, request: Request) -> Response | None:
        credentials = basic_credentials(request)
        if credentials is not None and same(credentials[1], API_KEY):
            return None
        return self.error_response(
            401,
            "API Key Invalid",
            "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
        )

    def error_response(self, status: int, title: str, detail: str) -> Response:
        body = {"type": PROBLEM_TYPE, "title": title, "status": status, "detail": detail,
                "instance": ""}
        return json_response(body, status, content_type="application/problem+json; charset=utf-8")

    def on_ping(self, request: Request) -> Response:
        return json_response({"health_status": "Everything's Chimpy!"})

    def reset(self) -> None:
        pass

    def state(self) -> Json:
        return {}
