"""Mailchimp Marketing API 3.0 (`/3.0/...`): routes, credentials, connection limit, hooks."""

from __future__ import annotations

import random
import threading
from typing import ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.auth import basic_credentials, same
from sandbox.mailchimp.account import Account
from sandbox.mailchimp.batch_endpoint import BatchEndpoint
from sandbox.mailchimp.lists_endpoints import ListsEndpoints
from sandbox.mailchimp.members_endpoints import MembersEndpoints
from sandbox.mailchimp.mutations import KINDS, mutate
from sandbox.mailchimp.problems import problem
from sandbox.mailchimp.segments_endpoints import SegmentsEndpoints
from sandbox.mailchimp.state import account_state
from sandbox.ratelimit import ConnectionLimit
from sandbox.service import Json, Service, World, json_response

API_KEY = "sandbox-us1"
LIST = "/3.0/lists/<list_id>"
MEMBER = LIST + "/members/<subscriber_hash>"
SEGMENT = LIST + "/segments/<int:segment_id>"


class MailchimpService(ListsEndpoints, MembersEndpoints, BatchEndpoint, SegmentsEndpoints, Service):
    name = "mailchimp"
    prefix = "/3.0"
    mutation_kinds: ClassVar[dict[str, float]] = KINDS
    rules: ClassVar[list[Rule]] = [
        Rule("/3.0/ping", endpoint="ping", methods=["GET"]),
        Rule("/3.0/lists", endpoint="lists", methods=["GET"]),
        Rule(LIST, endpoint="list", methods=["GET"]),
        Rule(LIST, endpoint="batch_members", methods=["POST"]),
        Rule(LIST + "/members", endpoint="members", methods=["GET"]),
        Rule(LIST + "/members", endpoint="add_member", methods=["POST"]),
        Rule(MEMBER, endpoint="member", methods=["GET"]),
        Rule(MEMBER, endpoint="put_member", methods=["PUT"]),
        Rule(MEMBER, endpoint="archive_member", methods=["DELETE"]),
        Rule(MEMBER + "/actions/delete-permanent", endpoint="erase_member", methods=["POST"]),
        Rule(MEMBER + "/tags", endpoint="member_tags", methods=["POST"]),
        Rule(LIST + "/segments", endpoint="segments", methods=["GET"]),
        Rule(LIST + "/segments", endpoint="create_segment", methods=["POST"]),
        Rule(SEGMENT, endpoint="segment", methods=["GET"]),
        Rule(SEGMENT, endpoint="segment_batch", methods=["POST"]),
        Rule(SEGMENT + "/members", endpoint="segment_members", methods=["GET"]),
        Rule(LIST + "/merge-fields", endpoint="merge_fields", methods=["GET"]),
        Rule(LIST + "/merge-fields", endpoint="add_merge_field", methods=["POST"]),
        Rule(LIST + "/merge-fields/<int:merge_id>", endpoint="merge_field", methods=["GET"]),
    ]

    def __init__(self, world: World) -> None:
        # Set before the base class calls configure_limits().
        self._held = threading.local()  # the connection limit this thread's request entered
        self._refusals_lock = threading.Lock()
        super().__init__(world)
        self.account = Account(world.population)

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
        return problem(status, title, detail)

    # --- at most N requests in flight -----------------------------------------------------------

    def configure_limits(self) -> None:
        config = self.world.config
        self._connections = (
            ConnectionLimit(config.mailchimp_connections) if config.limited else None
        )
        self._refusals = 0

    def enter(self) -> Response | None:
        limit = self._connections
        if limit is None or limit.enter():
            self._held.limit = limit
            return None
        self._held.limit = None
        with self._refusals_lock:
            self._refusals += 1
            refusal = self._refusals
        if refusal % 2 == 1:
            # At high volume Mailchimp turns requests away with no body at all.
            return Response(b"", status=429, content_type="text/html; charset=utf-8")
        return problem(
            429,
            "Too Many Requests",
            f"You have exceeded the limit of {limit.limit} simultaneous connections.",
        )

    def leave(self) -> None:
        limit = getattr(self._held, "limit", None)
        self._held.limit = None
        if limit is not None:
            limit.leave()

    # --- endpoints and control hooks -------------------------------------------------------------

    def on_ping(self, request: Request) -> Response:
        return json_response({"health_status": "Everything's Chimpy!"})

    def reset(self) -> None:
        if self.account.population is not self.world.population:
            self.account = Account(self.world.population)  # /_sandbox/seed made a new one
        else:
            self.account.reset()
        with self._refusals_lock:
            self._refusals = 0

    def state(self) -> Json:
        return account_state(self.account)

    def mutate(self, kind: str, rng: random.Random) -> Json | None:
        return mutate(self.account, kind, rng, self.now())
