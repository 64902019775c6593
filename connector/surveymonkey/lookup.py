"""Finding things by what the admin knows them by: a survey by title, the survey's email
collector, the collector's invitation that is not sent yet."""

from __future__ import annotations

from connector.errors import FatalError
from connector.surveymonkey.calls import Calls, record
from connector.surveymonkey.problems import SERVICE, Ambiguous, NotFound
from connector.surveymonkey.records import Collector, Message, Survey


def find_survey(calls: Calls, wanted: str, page_size: int) -> Survey:
    if wanted.isdigit():
        try:
            return record(Survey.from_json, calls.request("GET", f"/surveys/{wanted}"))
        except FatalError as error:
            if error.status != 404:
                raise
    params = {"title": wanted, "per_page": page_size}
    found = [record(Survey.from_json, item) for item in calls.items("/surveys", params)]
    exact = [s for s in found if s.title == wanted] or [
        s for s in found if s.title.casefold() == wanted.casefold()
    ]
    where = calls.where("/surveys", params)
    if len(exact) > 1:
        ids = ", ".join(s.id for s in exact)
        detail = f"{len(exact)} surveys are titled {wanted!r} (ids {ids}); pass the id instead"
        raise Ambiguous(SERVICE, "GET", where, None, detail)
    if not exact:
        named = "with id or title" if wanted.isdigit() else "titled"
        near = "; titles that contain it: " + ", ".join(repr(s.title) for s in found[:5])
        raise NotFound(
            SERVICE, "GET", where, None, f"no survey {named} {wanted!r}" + (near if found else "")
        )
    return exact[0]


def open_email_collector(calls: Calls, survey_id: str, page_size: int) -> Collector | None:
    params = {"include": "type,status", "per_page": page_size}
    for item in calls.items(f"/surveys/{survey_id}/collectors", params):
        if "type" not in item or "status" not in item:  # `include` not honoured: ask each
            item = calls.request("GET", f"/collectors/{record(_item_id, item)}")
        collector = record(lambda found: Collector.from_json(found, survey_id), item)
        if collector.type == "email" and collector.status == "open":
            return collector
    return None


def unsent_invite(calls: Calls, collector_id: str, page_size: int) -> Message | None:
    path = f"/collectors/{collector_id}/messages"
    for item in calls.items(path, {"per_page": page_size}):
        if "type" not in item or "status" not in item:
            item = calls.request("GET", f"{path}/{record(_item_id, item)}")
        message = record(lambda found: Message.from_json(found, collector_id), item)
        if message.type == "invite" and message.status == "not_sent":
            return message
    return None


def _item_id(item: dict[str, object]) -> str:
    return str(item["id"])
