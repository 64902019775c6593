"""Zendesk Support API v2 (`/api/v2/...`): users, fields, groups, tickets, ratings, bulk writes."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from sandbox.auth import basic_credentials, same
from sandbox.ratelimit import WindowLimit
from sandbox.service import Json, Rejection, Service, World, json_response
from sandbox.zendesk import mutations, tickets, users
from sandbox.zendesk.fields import USER_FIELDS, field_json
from sandbox.zendesk.groups import GROUPS, group_json
from sandbox.zendesk.jobs import JobQueue, job_json
from sandbox.zendesk.paging import (
    BadPageParameter,
    cursor_page,
    decode_cursor,
    encode_cursor,
    int_arg,
    offset_page,
    uses_cursor_pagination,
)
from sandbox.zendesk.store import SeededStore
from sandbox.zendesk.timefmt import iso
from sandbox.zendesk.writes import WriteRefused, update_ticket, update_user

API_USER = "admin@example.com/token"
API_TOKEN = "sandbox-token"
MAX_BULK_ITEMS = 100
MAX_UNFINISHED_JOBS = 30
WITHHELD_SECONDS = 60  # the incremental export never returns the most recent minute
RATE_LIMITED = {
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed API requests per minute exceeded",
}


class ZendeskService(Service):
    name = "zendesk"
    prefix = "/api/v2"
    rules: ClassVar[list[Rule]] = [
        Rule("/api/v2/users/me", endpoint="me", methods=["GET"]),
        Rule("/api/v2/users/<int:user_id>", endpoint="user", methods=["GET"]),
        Rule("/api/v2/users/update_many", endpoint="update_users", methods=["PUT"]),
        Rule("/api/v2/user_fields", endpoint="user_fields", methods=["GET"]),
        Rule("/api/v2/groups", endpoint="groups", methods=["GET"]),
        Rule("/api/v2/deleted_users", endpoint="deleted_users", methods=["GET"]),
        Rule("/api/v2/incremental/users/cursor", endpoint="incremental_users", methods=["GET"]),
        Rule("/api/v2/incremental/tickets/cursor", endpoint="incremental_tickets", methods=["GET"]),
        Rule("/api/v2/tickets/<int:ticket_id>", endpoint="ticket", methods=["GET"]),
        Rule("/api/v2/tickets/update_many", endpoint="update_tickets", methods=["PUT"]),
        Rule("/api/v2/satisfaction_ratings", endpoint="ratings", methods=["GET"]),
        Rule("/api/v2/job_statuses/<job_id>", endpoint="job_status", methods=["GET"]),
    ]
    mutation_kinds: ClassVar[dict[str, float]] = mutations.KINDS

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._build()

    def _build(self) -> None:
        self._population = self.world.population
        self.users = users.UserStore(self._population)
        self.tickets = tickets.TicketStore(self._population)
        self.jobs = JobQueue(self.world.clock, self.world.seed)

    def reset(self) -> None:
        if self.world.population is not self._population:
            self._build()
            return
        self.users.reset()
        self.tickets.reset()
        self.jobs = JobQueue(self.world.clock, self.world.seed)

    def configure_limits(self) -> None:
        config = self.world.config
        self._account_limit = WindowLimit(config.zendesk_rpm, 60, self.world.clock)
        self._export_limit = WindowLimit(config.zendesk_incremental_rpm, 60, self.world.clock)

    # --- the shared request steps --------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        credentials = basic_credentials(request)
        if credentials and same(credentials[0], API_USER) and same(credentials[1], API_TOKEN):
            return None
        return json_response({"error": "Couldn't authenticate you"}, 401)

    def admit(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        if not self.world.config.limited:
            return None, {}
        account = self._account_limit.take()
        headers = {
            "X-Rate-Limit": str(account.limit),
            "X-Rate-Limit-Remaining": str(account.remaining),
        }
        if "/tickets" in request.path:
            headers.update(
                {
                    "ratelimit-limit": str(account.limit),
                    "ratelimit-remaining": str(account.remaining),
                    "ratelimit-reset": str(account.reset_seconds),
                }
            )
        if not account.allowed:
            return self._throttled(account.retry_after, RATE_LIMITED), headers
        if "/incremental/" in request.path:
            export = self._export_limit.take()
            if not export.allowed:
                body = {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed incremental export API requests per "
                    "minute exceeded",
                }
                return self._throttled(export.retry_after, body), headers
        return None, headers

    def _throttled(self, retry_after: str, body: Json) -> Response:
        return json_response(body, 429, headers={"Retry-After": retry_after})

    def error_response(self, status: int, title: str, detail: str) -> Response:
        return json_response({"error": title.replace(" ", ""), "description": detail}, status)

    def dispatch(self, request: Request) -> Response:
        # zenpy asks for `/api/v2/users/me.json`; Zendesk serves every path with or without it.
        request.environ["PATH_INFO"] = request.path.removesuffix(".json")
        self.jobs.advance()
        try:
            return super().dispatch(request)
        except BadPageParameter as error:
            return json_response(
                {"error": "InvalidPaginationParameter", "description": str(error)}, 400
            )

    def _base(self, request: Request) -> str:
        return request.host_url.rstrip("/")

    def _not_found(self) -> Response:
        return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)

    # --- users, fields, groups -----------------------------------------------------------------

    def on_me(self, request: Request) -> Response:
        return json_response({"user": users.render(self.users.get(0), self._base(request))})

    def on_user(self, request: Request, user_id: int) -> Response:
        index = self.users.index_of(user_id)
        if index is None:
            return self._not_found()
        record = self.users.get(index)
        if record["name"] == "Permanently Deleted User":
            return self._not_found()
        return json_response({"user": users.render(record, self._base(request))})

    def on_user_fields(self, request: Request) -> Response:
        created = iso(self.world.anchor - 3 * 365 * 86_400) or ""
        fields = [field_json(f, n, self._base(request), created) for n, f in enumerate(USER_FIELDS)]
        return json_response(
            {"user_fields": fields, "next_page": None, "previous_page": None, "count": len(fields)}
        )

    def on_groups(self, request: Request) -> Response:
        created = iso(self.world.anchor - 3 * 365 * 86_400) or ""
        found = [group_json(group, self._base(request), created) for group in GROUPS]
        return json_response(
            {"groups": found, "next_page": None, "previous_page": None, "count": len(found)}
        )

    def on_deleted_users(self, request: Request) -> Response:
        base = self._base(request)
        deleted = self.users.deleted_indexes()
        return self._paged(
            request, "deleted_users", deleted, lambda i: _deleted_json(self.users.get(i), base)
        )

    # --- the incremental exports ---------------------------------------------------------------

    def on_incremental_users(self, request: Request) -> Response:
        return self._export(request, "users", self.users.order.after, self.users.get, users.render)

    def on_incremental_tickets(self, request: Request) -> Response:
        return self._export(
            request, "tickets", self.tickets.order.after, self.tickets.get, tickets.render
        )

    def _export(
        self,
        request: Request,
        key: str,
        after: Callable[[tuple[int, int]], Iterator[tuple[int, int]]],
        get: Callable[[int], dict[str, Any]],
        render: Callable[[dict[str, Any], str], dict[str, Any]],
    ) -> Response:
        args = request.args
        per_page = int_arg(args, "per_page", 1000, 1, 1000)
        cutoff = int(self.world.clock.now() - self.world.clock.real_seconds(WITHHELD_SECONDS))
        cursor = args.get("cursor")
        if cursor:
            position = decode_cursor(cursor)
        elif args.get("start_time") is not None:
            start_time = int_arg(args, "start_time", 0, 0, 2**62)
            if start_time > cutoff:
                return json_response(
                    {
                        "error": "InvalidValue",
                        "description": "Too recent start_time. Use a start_time older than 1 "
                        "minute.",
                    },
                    400,
                )
            position = (start_time, -1)
        else:
            return json_response(
                {"error": "InvalidValue", "description": "start_time or cursor is required"}, 400
            )
        keys: list[tuple[int, int]] = []
        end_of_stream = True
        for found in after(position):
            if found[0] > cutoff:
                break
            if len(keys) == per_page:
                end_of_stream = False
                break
            keys.append(found)
        base = self._base(request)
        after_cursor = encode_cursor(*(keys[-1] if keys else position))
        query = f"cursor={after_cursor}" + (
            f"&per_page={args['per_page']}" if "per_page" in args else ""
        )
        return json_response(
            {
                key: [render(get(index), base) for _when, index in keys],
                "after_url": f"{base}/api/v2/incremental/{key}/cursor.json?{query}",
                "after_cursor": after_cursor,
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": end_of_stream,
            }
        )

    # --- tickets and ratings -------------------------------------------------------------------

    def on_ticket(self, request: Request, ticket_id: int) -> Response:
        index = self.tickets.index_of(ticket_id)
        if index is None:
            return self._not_found()
        return json_response(
            {"ticket": tickets.render(self.tickets.get(index), self._base(request))}
        )

    def on_ratings(self, request: Request) -> Response:
        args = request.args
        score = args.get("score")
        if score is not None and score not in tickets.SCORE_FILTERS:
            return json_response(
                {
                    "error": "InvalidValue",
                    "description": f"score must be one of {', '.join(tickets.SCORE_FILTERS)}",
                },
                400,
            )
        codes = tickets.SCORE_FILTERS[score] if score else tickets.ALL_RATINGS
        start_time = int_arg(args, "start_time", 0, 0, 2**62)
        end_time = int_arg(args, "end_time", 2**62, 0, 2**62)
        descending = args.get("sort_order") == "desc" or args.get("sort") == "-created_at"
        store = self.tickets

        def matches(index: int) -> bool:
            code, rated_at = store.rating_of(index)
            return code in codes and start_time <= rated_at <= end_time

        candidates = self._rating_candidates(start_time, descending)
        base = self._base(request)
        return self._paged(
            request,
            "satisfaction_ratings",
            candidates,
            lambda i: tickets.render_rating(store.get(i), base),
            keep=matches,
        )

    def _rating_candidates(self, start_time: int, descending: bool) -> Iterable[int]:
        """Ticket indexes that may carry a rating made since `start_time`, in id order."""
        store = self.tickets
        first = store.first_possibly_rated_since(start_time)
        earlier_changed = sorted(i for i in store.changed if i < first)
        if descending:
            return heapq.merge(
                range(store.count - 1, first - 1, -1), reversed(earlier_changed), reverse=True
            )
        return heapq.merge(earlier_changed, range(first, store.count))

    # --- pagination shared by deleted users and ratings ----------------------------------------

    def _paged(
        self,
        request: Request,
        key: str,
        candidates: Iterable[int],
        render: Callable[[int], dict[str, Any]],
        keep: Callable[[int], bool] = lambda _i: True,
    ) -> Response:
        args = request.args
        endpoint = f"{self._base(request)}{request.path}"
        if uses_cursor_pagination(args):
            size = int_arg(args, "page[size]", 100, 1, 100)
            after = decode_cursor(args["page[after]"])[1] if args.get("page[after]") else None
            descending = args.get("sort_order") == "desc"
            page: list[int] = []
            has_more = False
            for index in candidates:
                if after is not None and (index >= after if descending else index <= after):
                    continue
                if not keep(index):
                    continue
                if len(page) == size:
                    has_more = True
                    break
                page.append(index)
            cursor = encode_cursor(0, page[-1]) if page else None
            return json_response(
                cursor_page(endpoint, args, key, [render(i) for i in page], has_more, cursor)
            )
        per_page = int_arg(args, "per_page", 100, 1, 100)
        number = int_arg(args, "page", 1, 1, 2**31)
        matching = [index for index in candidates if keep(index)]
        chosen = matching[(number - 1) * per_page : number * per_page]
        return json_response(
            offset_page(
                endpoint, args, key, [render(i) for i in chosen], number, len(matching), per_page
            )
        )

    # --- bulk writes and their jobs ------------------------------------------------------------

    def on_update_users(self, request: Request) -> Response:
        return self._bulk_update(request, self.users, update_user, "user", "users")

    def on_update_tickets(self, request: Request) -> Response:
        return self._bulk_update(request, self.tickets, update_ticket, "ticket", "tickets")

    def _bulk_update(
        self,
        request: Request,
        store: SeededStore,
        update: Callable[[Json, Json, int], Json],
        singular: str,
        plural: str,
    ) -> Response:
        items = self._bulk_items(request, singular, plural)

        def apply() -> list[Json]:
            # Stamped when the job runs, as Zendesk's workers do.
            now = int(self.world.clock.now())
            noun = singular.capitalize()
            return [
                _apply(store, item, attributes, now, update, noun) for item, attributes in items
            ]

        return self._queue(request, f"bulk_update_{plural}", len(items), apply)

    def _bulk_items(self, request: Request, singular: str, plural: str) -> list[tuple[Any, Json]]:
        body = self.json_body(request)
        ids = request.args.get("ids")
        if ids is not None:
            if not isinstance(body, dict) or not isinstance(body.get(singular), dict):
                raise Rejection(
                    json_response(
                        {
                            "error": "InvalidValue",
                            "description": f'with ?ids= the body must be {{"{singular}": {{...}}}}',
                        },
                        400,
                    )
                )
            try:
                id_list = [int(part) for part in ids.split(",") if part.strip()]
            except ValueError:
                raise Rejection(
                    json_response(
                        {
                            "error": "InvalidValue",
                            "description": f"ids must be comma-separated integers, got {ids!r}",
                        },
                        400,
                    )
                ) from None
            items = [(item_id, body[singular]) for item_id in id_list]
        elif isinstance(body, dict) and isinstance(body.get(plural), list):
            if not all(isinstance(item, dict) for item in body[plural]):
                raise Rejection(
                    json_response(
                        {
                            "error": "InvalidValue",
                            "description": f"every item of {plural} must be an object with an id",
                        },
                        400,
                    )
                )
            items = [(item.get("id"), item) for item in body[plural]]
        else:
            raise Rejection(
                json_response(
                    {
                        "error": "InvalidValue",
                        "description": f'send ?ids=1,2 with {{"{singular}": {{...}}}} '
                        f'or {{"{plural}": [...]}}',
                    },
                    400,
                )
            )
        if not items:
            raise Rejection(
                json_response(
                    {"error": "InvalidValue", "description": f"no {plural} to update"}, 400
                )
            )
        if len(items) > MAX_BULK_ITEMS:
            raise Rejection(
                json_response(
                    {
                        "error": "TooManyValues",
                        "description": f"update_many takes at most {MAX_BULK_ITEMS} {plural}; "
                        f"got {len(items)}",
                    },
                    400,
                )
            )
        return items

    def _queue(
        self, request: Request, job_type: str, total: int, apply: Callable[[], list[Json]]
    ) -> Response:
        if self.world.config.limited and self.jobs.unfinished() >= MAX_UNFINISHED_JOBS:
            return json_response(
                {
                    "error": "TooManyJobs",
                    "description": f"at most {MAX_UNFINISHED_JOBS} jobs may be queued or running",
                },
                429,
                headers={"Retry-After": "1"},
            )
        job = self.jobs.submit(job_type, total, apply)
        return json_response({"job_status": job_json(job, self._base(request), self.world.clock)})

    def on_job_status(self, request: Request, job_id: str) -> Response:
        job = self.jobs.get(job_id)
        if job is None:
            return self._not_found()
        return json_response({"job_status": job_json(job, self._base(request), self.world.clock)})

    # --- the control API -----------------------------------------------------------------------

    def state(self) -> Json:
        self.jobs.advance()
        base = "http://sandbox"
        return {
            "users": [users.render(self.users.get(i), base) for i in range(self.users.count)],
            "tickets": [
                tickets.render(self.tickets.get(i), base) for i in range(self.tickets.count)
            ],
            "satisfaction_ratings": [
                tickets.render_rating(self.tickets.get(i), base)
                for i in range(self.tickets.count)
                if self.tickets.rating_of(i)[0] in tickets.ALL_RATINGS
            ],
            "jobs": [job_json(job, base, self.world.clock) for job in self.jobs.all()],
        }

    def mutate(self, kind: str, rng: random.Random) -> Json | None:
        return mutations.apply(self, kind, rng)


def _apply(
    store: SeededStore,
    item_id: Any,
    attributes: Json,
    now: int,
    update: Callable[[Json, Json, int], Json],
    noun: str,
) -> Json:
    index = store.index_of(item_id)
    if index is None or store.get(index).get("name") == "Permanently Deleted User":
        return {
            "id": item_id,
            "action": "update",
            "success": False,
            "error": f"{noun}NotFound",
            "details": f"{noun} {item_id} not found",
        }
    record = store.get(index)
    try:
        new = update(record, attributes, now)
    except WriteRefused as refused:
        return {
            "id": item_id,
            "action": "update",
            "success": False,
            "error": refused.error,
            "details": refused.details,
        }
    if new is not record:
        store.put(index, new)
    return {"id": item_id, "action": "update", "status": "Updated", "success": True}


def _deleted_json(record: Json, base: str) -> Json:
    return {
        "id": record["id"],
        "url": f"{base}/api/v2/deleted_users/{record['id']}.json",
        "name": record["name"],
        "email": record["email"],
        "created_at": iso(record["created_at"]),
        "updated_at": iso(record["updated_at"]),
        "time_zone": record["time_zone"],
        "phone": record["phone"],
        "shared_phone_number": record["shared_phone_number"],
        "photo": None,
        "locale_id": record["locale_id"],
        "locale": record["locale"],
        "organization_id": record["organization_id"],
        "role": record["role"],
        "active": False,
    }
