"""Finding things by what the admin knows them by: a survey by title, the survey's email
collector (any open one, or the one of a name), the collector's invitation that is not sent yet."""

from __future__ import annotations

from collections.abc import Iterator

from connector.errors import FatalError
from connector.surveymonkey.calls import Calls, record
from connector.surveymonkey.problems import SERVICE, Ambiguous, Closed, NotFound
from connector.surveymonkey.records import Collector, Message, Survey, Wording


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
    return next((c for c in email_collectors(calls, survey_id, page_size) if c.is_open), None)


def named_email_collector(
    calls: Calls, survey_id: str, name: str, page_size: int
) -> Collector | None:
    """The open email collector called `name` (letter case aside), or None if none has it.

    Every collector is listed and compared here: the API's `name` filter does not say how it
    matches (contains? letter case?), and a miss would make a second collector of the name.
    """
    wanted = name.casefold()
    named = [
        c for c in email_collectors(calls, survey_id, page_size) if c.name.casefold() == wanted
    ]
    opened = [c for c in named if c.is_open]
    where = calls.where(f"/surveys/{survey_id}/collectors")
    if len(opened) > 1:
        ids = ", ".join(c.id for c in opened)
        detail = (
            f"{len(opened)} open email collectors of survey {survey_id} are named {name!r} "
            f"(ids {ids}); close or rename all but one"
        )
        raise Ambiguous(SERVICE, "GET", where, None, detail)
    if opened:
        return opened[0]
    if named:
        ids = ", ".join(c.id for c in named)
        detail = (
            f"the email collector named {name!r} of survey {survey_id} (id {ids}) is closed; "
            "reopen it in SurveyMonkey or configure another collector name "
            "(a second collector of that name is not made)"
        )
        raise Closed(SERVICE, "GET", where, None, detail)
    return None


def email_collectors(calls: Calls, survey_id: str, page_size: int) -> Iterator[Collector]:
    """The survey's email collectors, open or not, as the API lists them."""
    params = {"include": "type,status", "per_page": page_size}
    for item in calls.items(f"/surveys/{survey_id}/collectors", params):
        if not {"type", "status", "name"} <= item.keys():  # `include` not honoured: ask each
            item = calls.request("GET", f"/collectors/{record(_item_id, item)}")
        collector = record(lambda found: Collector.from_json(found, survey_id), item)
        if collector.type == "email":
            yield collector


def unsent_invite(
    calls: Calls, collector_id: str, page_size: int, wording: Wording | None = None
) -> Message | None:
    """The collector's first invitation not sent yet; with `wording`, the first that says
    exactly that. A body the API shows otherwise than it was given (none, or re-rendered) counts
    as other words: a new message is then made, rather than one sent that says something else."""
    path = f"/collectors/{collector_id}/messages"
    for item in calls.items(path, {"per_page": page_size}):
        if "type" not in item or "status" not in item:
            item = calls.request("GET", f"{path}/{record(_item_id, item)}")
        message = record(lambda found: Message.from_json(found, collector_id), item)
        if message.type != "invite" or message.status != "not_sent":
            continue
        if wording is None:
            return message
        if "subject" not in item or "body" not in item:  # a list item shows no wording
            item = calls.request("GET", f"{path}/{message.id}")
            message = record(lambda found: Message.from_json(found, collector_id), item)
        if message.wording == wording:
            return message
    return None


def _item_id(item: dict[str, object]) -> str:
    return str(item["id"])
