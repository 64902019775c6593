"""The account's records as SurveyMonkey's JSON: keys and order as in collectors.md's examples.

`Views` is bound to one request, because every `href` and `links` URL is absolute and points at
the host the client called.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from sandbox.seeded import mix64
from sandbox.surveymonkey.account import BulkOutcome
from sandbox.surveymonkey.models import Collector, Contact, Message, Survey

Json = dict[str, Any]
BUTTONS_TEXT = {
    "done_button": "Done",
    "prev_button": "Prev",
    "exit_button": "Exit",
    "next_button": "Next",
}


def date_string(when: int | None) -> str | None:
    """The reference's date format, YYYY-MM-DDTHH:MM:SS+00:00 ("implicitly in UTC")."""
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def recipient_token(collector_id: str, contact_id: str) -> str:
    return format(mix64(int(collector_id) * 10**10 + int(contact_id)), "x")


class Views:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.api = request.host_url.rstrip("/") + "/v3"

    # --- lists ------------------------------------------------------------------------------------

    def page(self, data: list[Json], total: int, page: int, per_page: int) -> Json:
        """A list resource: `data` is this page's items; links as the reference's Pagination."""
        last = max(1, math.ceil(total / per_page))
        links = {"self": self._page_url(page, per_page)}
        if page > 1:
            links["prev"] = self._page_url(min(page - 1, last), per_page)
            links["first"] = self._page_url(1, per_page)
        if page < last:
            links["next"] = self._page_url(page + 1, per_page)
            links["last"] = self._page_url(last, per_page)
        return {"data": data, "per_page": per_page, "page": page, "total": total, "links": links}

    def _page_url(self, page: int, per_page: int) -> str:
        args = [
            (k, v) for k, v in self.request.args.items(multi=True) if k not in ("page", "per_page")
        ]
        query = urlencode([*args, ("page", str(page)), ("per_page", str(per_page))])
        return f"{self.request.base_url}?{query}"

    # --- surveys ----------------------------------------------------------------------------------

    def survey_summary(self, survey: Survey) -> Json:
        return {
            "id": survey.id,
            "title": survey.title,
            "nickname": survey.nickname,
            "href": f"{self.api}/surveys/{survey.id}",
        }

    def survey(self, survey: Survey) -> Json:
        return {
            "title": survey.title,
            "nickname": survey.nickname,
            "language": survey.language,
            "question_count": len(survey.questions),
            "page_count": 1,
            "date_created": date_string(survey.date_created),
            "date_modified": date_string(survey.date_modified),
            "id": survey.id,
            "href": f"{self.api}/surveys/{survey.id}",
            "buttons_text": dict(BUTTONS_TEXT),
            "custom_variables": dict(survey.custom_variables),
            "preview": f"https://www.surveymonkey.com/r/Preview/?sm={survey.id}",
        }

    def survey_details(self, survey: Survey) -> Json:
        page_href = f"{self.api}/surveys/{survey.id}/pages/{survey.page_id}"
        questions = []
        for position, question in enumerate(survey.questions, start=1):
            shown: Json = {
                "id": question.id,
                "position": position,
                "visible": True,
                "family": question.family,
                "subtype": question.subtype,
                "required": None,
                "headings": [{"heading": question.heading}],
                "href": f"{page_href}/questions/{question.id}",
            }
            if question.choices:
                shown["answers"] = {
                    "choices": [
                        {"id": choice_id, "position": n, "visible": True, "text": text}
                        for n, (choice_id, text) in enumerate(question.choices, start=1)
                    ]
                }
            questions.append(shown)
        page = {
            "id": survey.page_id,
            "title": "",
            "description": "",
            "position": 1,
            "question_count": len(questions),
            "href": page_href,
            "questions": questions,
        }
        return {**self.survey(survey), "pages": [page]}

    # --- collectors -------------------------------------------------------------------------------

    def collector(self, collector: Collector) -> Json:
        options = collector.options
        return {
            "status": collector.status,
            "id": collector.id,
            "survey_id": collector.survey_id,
            "type": collector.type,
            "name": options["name"],
            "thank_you_message": options["thank_you_message"],
            "disqualification_message": options["disqualification_message"],
            "disqualification_url": options["disqualification_url"],
            "close_date": date_string(options["close_date"]),
            "closed_page_message": options["closed_page_message"],
            "redirect_url": options["redirect_url"],
            "display_survey_results": options["display_survey_results"],
            "edit_response_type": options["edit_response_type"],
            "anonymous_type": options["anonymous_type"],
            "allow_multiple_responses": options["allow_multiple_responses"],
            "date_modified": date_string(collector.date_modified),
            "url": collector.url,
            "date_created": date_string(collector.date_created),
            "sender_email": options["sender_email"],
            "password_enabled": options["password"] is not None,
            "response_limit": options["response_limit"],
            "redirect_type": options["redirect_type"],
            "href": f"{self.api}/collectors/{collector.id}",
        }

    def created_collector(self, collector: Collector) -> Json:
        """POST's answer: the example there has `open` where GET's has `survey_id`."""
        shown = self.collector(collector)
        del shown["survey_id"]
        shown["open"] = collector.status == "open"
        return shown

    def collector_summary(self, collector: Collector, include: list[str]) -> Json:
        full = {**self.collector(collector), "response_count": 0}
        shown = {"id": collector.id, "name": full["name"], "href": full["href"]}
        shown.update({name: full[name] for name in include})
        return shown

    # --- messages ---------------------------------------------------------------------------------

    def message(self, message: Message, status: str) -> Json:
        return {
            "status": status,
            "is_scheduled": message.is_scheduled,
            "subject": message.subject,
            "body": message.body,
            "is_branding_enabled": message.is_branding_enabled,
            "date_created": date_string(message.date_created),
            "scheduled_date": date_string(message.scheduled_date),
            "type": message.type,
            "recipient_status": message.recipient_status,
            "id": message.id,
            "href": self.message_href(message),
        }

    def message_summary(self, message: Message, status: str) -> Json:
        return {
            "id": message.id,
            "type": message.type,
            "status": status,
            "href": self.message_href(message),
        }

    def message_href(self, message: Message) -> str:
        return f"{self.api}/collectors/{message.collector_id}/messages/{message.id}"

    def sent(self, message: Message, recipients: list[str]) -> Json:
        return {
            "is_scheduled": message.is_scheduled,
            "scheduled_date": date_string(message.scheduled_date),
            "body": message.body,
            "subject": message.subject,
            "recipients": recipients,
            "recipient_status": message.recipient_status,
            "type": message.type,
        }

    def message_stats(self, recipients: int, opted_out: int, status: str) -> Json:
        """No opens, clicks, bounces or responses are emulated: only sends and opt-outs count."""
        sent = recipients if status == "sent" else 0
        return {
            "survey_response_status": {
                "completely_responded": 0,
                "not_responded": recipients,
                "partially_responded": 0,
            },
            "mail_status": {
                "opened": 0,
                "opted_out": opted_out,
                "not_sent": recipients - sent,
                "sent": sent,
                "bounced": 0,
                "link_clicked": 0,
            },
            "recipients": recipients,
        }

    # --- recipients -------------------------------------------------------------------------------

    def recipient_href(self, collector_id: str, contact_id: str) -> str:
        return f"{self.api}/collectors/{collector_id}/recipients/{contact_id}"

    def bulk(self, collector: Collector, outcome: BulkOutcome) -> Json:
        return {
            "succeeded": [
                {
                    "phone_number": None,
                    "id": contact_id,
                    "email": email,
                    "href": self.recipient_href(collector.id, contact_id),
                }
                for contact_id, email in outcome.succeeded
            ],
            "invalids": outcome.invalids,
            "existing": outcome.existing,
            "bounced": outcome.bounced,
            "opted_out": outcome.opted_out,
            "duplicate": outcome.duplicate,
        }

    def recipient(
        self, collector: Collector, contact: Contact, mail_status: str, extra: dict[str, str]
    ) -> Json:
        token = recipient_token(collector.id, contact.id)
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "survey_response_status": "not_responded",
            "mail_status": mail_status,
            "custom_fields": dict(contact.custom_fields),
            "id": contact.id,
            "remove_link": f"https://www.surveymonkey.com/optout?sm={token}",
            "extra_fields": dict(extra),
            "survey_link": f"https://www.surveymonkey.com/r/?sm={token}",
        }

    def recipient_summary(
        self,
        collector: Collector,
        contact: Contact,
        include: list[str],
        mail_status: str,
        extra: dict[str, str],
    ) -> Json:
        shown: Json = {
            "phone_number": None,
            "href": self.recipient_href(collector.id, contact.id),
            "id": contact.id,
            "email": contact.email,
        }
        if include:
            full = self.recipient(collector, contact, mail_status, extra)
            shown.update({name: full[name] for name in include})
        return shown
