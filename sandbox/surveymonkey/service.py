"""SurveyMonkey API v3 (`/v3/...`): surveys, collectors, invitation messages and their recipients.

The routes follow collectors.md (the vendor's reference, in /work/shared/specs/surveymonkey);
`account.py` holds the rules, `views.py` the JSON shapes, `bodies.py` and `checks.py` the input.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Collection, Iterable
from itertools import islice
from typing import Any, ClassVar, TypeVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.auth import bearer_token, same
from sandbox.service import Json, Service, World, json_response
from sandbox.surveymonkey import bodies, checks
from sandbox.surveymonkey.account import Account
from sandbox.surveymonkey.errors import CODE_FOR_STATUS, CODES, error, fail
from sandbox.surveymonkey.inspection import OPT_OUT, account_state, opt_out_someone
from sandbox.surveymonkey.limits import RequestLimits
from sandbox.surveymonkey.models import Collector
from sandbox.surveymonkey.suppression import Suppression
from sandbox.surveymonkey.views import Views

ACCESS_TOKEN = "sandbox-token"
COLLECTOR_INCLUDES = ("type", "status", "response_count", "date_created", "date_modified", "url")
RECIPIENT_INCLUDES = (
    "survey_response_status",
    "mail_status",
    "custom_fields",
    "remove_link",
    "extra_fields",
    "survey_link",
)
MESSAGE = "/v3/collectors/<collector_id>/messages/<message_id>"
T = TypeVar("T")


def _paged(items: Iterable[T], page: int, per_page: int) -> list[T]:
    return list(islice(items, (page - 1) * per_page, page * per_page))


def _sorted(items: list[T], key: Callable[[T], Any] | None, order: str | None) -> list[T]:
    if key is None:
        return items if order != "DESC" else items[::-1]
    return sorted(items, key=key, reverse=order == "DESC")


class SurveyMonkeyService(Service):
    name = "surveymonkey"
    prefix = "/v3"
    mutation_kinds: ClassVar[dict[str, float]] = {OPT_OUT: 0.2}
    rules: ClassVar[list[Rule]] = [
        Rule("/v3/surveys", endpoint="surveys", methods=["GET"]),
        Rule("/v3/surveys/<survey_id>", endpoint="survey", methods=["GET"]),
        Rule("/v3/surveys/<survey_id>/details", endpoint="survey_details", methods=["GET"]),
        Rule("/v3/surveys/<survey_id>/collectors", endpoint="collectors", methods=["GET"]),
        Rule("/v3/surveys/<survey_id>/collectors", endpoint="new_collector", methods=["POST"]),
        Rule("/v3/collectors/<collector_id>", endpoint="collector", methods=["GET"]),
        Rule("/v3/collectors/<collector_id>/messages", endpoint="messages", methods=["GET"]),
        Rule("/v3/collectors/<collector_id>/messages", endpoint="new_message", methods=["POST"]),
        Rule(MESSAGE, endpoint="message", methods=["GET"]),
        Rule(f"{MESSAGE}/recipients", endpoint="message_recipients", methods=["GET"]),
        Rule(f"{MESSAGE}/recipients/bulk", endpoint="bulk_recipients", methods=["POST"]),
        Rule(f"{MESSAGE}/send", endpoint="send", methods=["POST"]),
        Rule(f"{MESSAGE}/stats", endpoint="message_stats", methods=["GET"]),
        Rule("/v3/collectors/<collector_id>/recipients", endpoint="recipients", methods=["GET"]),
        Rule(
            "/v3/collectors/<collector_id>/recipients/<contact_id>",
            endpoint="recipient",
            methods=["GET"],
        ),
    ]

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.suppression = Suppression(world.population)
        self.account = self._fresh_account()

    # --- the service's own answers to the shared machinery ------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        token = bearer_token(request)
        if token is None:
            return error("1010", "Send 'Authorization: Bearer YOUR_ACCESS_TOKEN'.")
        return None if same(token, ACCESS_TOKEN) else error("1011")

    def error_response(self, status: int, title: str, detail: str) -> Response:
        code = CODE_FOR_STATUS.get(status, "1000")
        if CODES[code].status == status:
            return error(code, detail)
        return error(code, detail, status, title)

    def configure_limits(self) -> None:
        config = self.world.config
        self.limits = (
            RequestLimits(config.surveymonkey_rpm, config.surveymonkey_daily, self.world.clock)
            if config.limited
            else None
        )

    def admit(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        return (None, {}) if self.limits is None else self.limits.admit()

    def json_body(self, request: Request) -> Any:
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError as problem:
            raise fail("1001", f"{problem}.") from None

    # --- surveys ------------------------------------------------------------------------------

    def on_surveys(self, request: Request) -> Response:
        args = request.args
        page, per_page = checks.page_args(args)
        sort_by = checks.query_choice(args, "sort_by", ("title", "date_modified", "num_responses"))
        order = checks.query_choice(args, "sort_order", ("ASC", "DESC"))
        include = checks.query_choice(args, "include", ("shared_with", "shared_by", "owned"))
        after = checks.query_date(args, "start_modified_at")
        before = checks.query_date(args, "end_modified_at")
        title = (args.get("title") or "").casefold()
        surveys = [
            s
            for s in self.account.surveys.values()
            if title in s.title.casefold()
            and include in (None, "owned")  # every seeded survey is the API user's own
            and (after is None or s.date_modified > after)
            and (before is None or s.date_modified < before)
        ]
        keys: dict[str, Callable[[Any], Any]] = {
            "title": lambda s: s.title,
            "date_modified": lambda s: s.date_modified,
            "num_responses": lambda s: 0,
        }
        surveys = _sorted(surveys, keys.get(sort_by or ""), order)
        views = Views(request)
        data = [views.survey_summary(s) for s in _paged(surveys, page, per_page)]
        return json_response(views.page(data, len(surveys), page, per_page))

    def on_survey(self, request: Request, survey_id: str) -> Response:
        return json_response(Views(request).survey(self.account.survey(survey_id)))

    def on_survey_details(self, request: Request, survey_id: str) -> Response:
        return json_response(Views(request).survey_details(self.account.survey(survey_id)))

    # --- collectors ---------------------------------------------------------------------------

    def on_collectors(self, request: Request, survey_id: str) -> Response:
        survey = self.account.survey(survey_id)
        args = request.args
        page, per_page = checks.page_args(args)
        sort_by = checks.query_choice(
            args, "sort_by", ("id", "date_modified", "type", "status", "name")
        )
        order = checks.query_choice(args, "sort_order", ("ASC", "DESC"))
        include = checks.query_list(args, "include", COLLECTOR_INCLUDES)
        after = checks.query_date(args, "start_date")
        before = checks.query_date(args, "end_date")
        name = (args.get("name") or "").casefold()
        collectors = [
            c
            for c in self.account.collectors_of(survey)
            if name in c.options["name"].casefold()
            and (after is None or c.date_created > after)
            and (before is None or c.date_created < before)
        ]
        keys: dict[str, Callable[[Any], Any]] = {
            "id": lambda c: int(c.id),
            "date_modified": lambda c: c.date_modified,
            "type": lambda c: c.type,
            "status": lambda c: c.status,
            "name": lambda c: c.options["name"],
        }
        collectors = _sorted(collectors, keys.get(sort_by or ""), order)
        views = Views(request)
        data = [views.collector_summary(c, include) for c in _paged(collectors, page, per_page)]
        return json_response(views.page(data, len(collectors), page, per_page))

    def on_new_collector(self, request: Request, survey_id: str) -> Response:
        survey = self.account.survey(survey_id)
        kind, options = bodies.collector_body(self.json_body(request))
        collector = self.account.create_collector(survey, kind, options)
        return json_response(Views(request).created_collector(collector), 201)

    def on_collector(self, request: Request, collector_id: str) -> Response:
        return json_response(Views(request).collector(self.account.collector(collector_id)))

    # --- messages -----------------------------------------------------------------------------

    def on_messages(self, request: Request, collector_id: str) -> Response:
        collector = self.account.collector(collector_id)
        page, per_page = checks.page_args(request.args)
        messages = self.account.messages_of(collector)
        views = Views(request)
        data = [
            views.message_summary(m, self.account.status(m))
            for m in _paged(messages, page, per_page)
        ]
        return json_response(views.page(data, len(messages), page, per_page))

    def on_new_message(self, request: Request, collector_id: str) -> Response:
        collector = self.account.collector(collector_id)
        body = bodies.message_body(self.json_body(request))
        message = self.account.create_message(collector, body)
        return json_response(Views(request).message(message, self.account.status(message)), 201)

    def on_message(self, request: Request, collector_id: str, message_id: str) -> Response:
        message = self.account.message(self.account.collector(collector_id), message_id)
        return json_response(Views(request).message(message, self.account.status(message)))

    def on_send(self, request: Request, collector_id: str, message_id: str) -> Response:
        collector = self.account.collector(collector_id)
        message = self.account.message(collector, message_id)
        scheduled = bodies.send_body(self.json_body(request))
        recipients = self.account.send(collector, message, scheduled)
        return json_response(Views(request).sent(message, recipients))

    def on_message_stats(self, request: Request, collector_id: str, message_id: str) -> Response:
        message = self.account.message(self.account.collector(collector_id), message_id)
        opted_out = sum(
            1
            for contact_id in message.recipients
            if self.suppression.status(self.account.contacts[contact_id].email) == "opted_out"
        )
        stats = Views(request).message_stats(
            len(message.recipients), opted_out, self.account.status(message)
        )
        return json_response(stats)

    # --- recipients ---------------------------------------------------------------------------

    def on_bulk_recipients(self, request: Request, collector_id: str, message_id: str) -> Response:
        collector = self.account.collector(collector_id)
        message = self.account.message(collector, message_id)
        bulk = bodies.bulk_body(self.json_body(request))
        outcome = self.account.add_recipients(collector, message, bulk)
        return json_response(Views(request).bulk(collector, outcome))

    def on_message_recipients(
        self, request: Request, collector_id: str, message_id: str
    ) -> Response:
        collector = self.account.collector(collector_id)
        message = self.account.message(collector, message_id)
        status = self.account.status(message)
        return self._recipient_page(
            request,
            collector,
            message.recipients,
            lambda contact_id: (status, message.extra_fields.get(contact_id, {})),
        )

    def on_recipients(self, request: Request, collector_id: str) -> Response:
        collector = self.account.collector(collector_id)
        return self._recipient_page(
            request,
            collector,
            collector.recipients,
            lambda contact_id: (self.account.mail_status(collector, contact_id), {}),
        )

    def on_recipient(self, request: Request, collector_id: str, contact_id: str) -> Response:
        collector = self.account.collector(collector_id)
        if contact_id not in collector.recipients:
            raise fail(
                "1020", f"Recipient {contact_id!r} does not exist on collector {collector_id!r}."
            )
        contact = self.account.contacts[contact_id]
        mail_status = self.account.mail_status(collector, contact_id)
        extra = next(
            (
                m.extra_fields[contact_id]
                for m in self.account.messages_of(collector)
                if contact_id in m.extra_fields
            ),
            {},
        )
        return json_response(Views(request).recipient(collector, contact, mail_status, extra))

    def _recipient_page(
        self,
        request: Request,
        collector: Collector,
        contact_ids: Collection[str],
        details: Callable[[str], tuple[str, dict[str, str]]],
    ) -> Response:
        page, per_page = checks.page_args(request.args)
        include = checks.query_list(request.args, "include", RECIPIENT_INCLUDES)
        views = Views(request)
        data = [
            views.recipient_summary(collector, self.account.contacts[c], include, *details(c))
            for c in _paged(contact_ids, page, per_page)
        ]
        return json_response(views.page(data, len(contact_ids), page, per_page))

    # --- the control API ----------------------------------------------------------------------

    def _fresh_account(self) -> Account:
        return Account(self.world.seed, self.world.anchor, self.world.clock, self.suppression)

    def reset(self) -> None:
        if self.suppression.population is not self.world.population:
            self.suppression = Suppression(self.world.population)
        self.suppression.forget_changes()
        self.account = self._fresh_account()
        self.configure_limits()

    def state(self) -> Json:
        return account_state(self.account)

    def mutate(self, kind: str, rng: random.Random) -> Json | None:
        if kind != OPT_OUT:
            raise NotImplementedError(kind)
        return opt_out_someone(self.account, self.world.population, rng)
