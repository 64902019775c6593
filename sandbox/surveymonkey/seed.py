"""The account as the sandbox seeds it: three surveys, their collectors, one unsent invitation.

Everything here is drawn from the seed and dated before the seeding's anchor, so the same seed
gives the same account.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from sandbox.population import DAY
from sandbox.seeded import rng
from sandbox.surveymonkey.ids import Ids
from sandbox.surveymonkey.models import Collector, Message, Question, Survey

CSAT_TITLE = "Customer Satisfaction Survey"
TABLET_TITLE = "Tablet Owners Feedback"
POST_PURCHASE_TITLE = "Post-Purchase Survey"

DEFAULT_SUBJECT = "We want your opinion"
DEFAULT_PAGE_MESSAGE = "Thank you for completing our survey!"
# Every invitation body must carry these, says the reference for POST /collectors/{id}/messages.
REQUIRED_BODY_LINKS = ("[SurveyLink]", "[OptOutLink]", "[PrivacyLink]", "[FooterLink]")
DEFAULT_BODY = (
    "<html><body><p>We're conducting a survey and your input would be appreciated. Click the "
    'button below to start the survey. Thank you for your participation!</p><p><a href="'
    '[SurveyLink]">Begin Survey</a></p><p>Please do not forward this email as its survey link is '
    'unique to you.<br><a href="[PrivacyLink]">Privacy</a> | <a href="[OptOutLink]">Unsubscribe'
    "</a> from this list</p><p>[FooterLink]</p></body></html>"
)

# The settings a collector has when the POST body leaves them out (the reference's defaults).
COLLECTOR_DEFAULTS: dict[str, Any] = {
    "thank_you_message": DEFAULT_PAGE_MESSAGE,
    "disqualification_message": DEFAULT_PAGE_MESSAGE,
    "disqualification_url": None,
    "close_date": None,
    "closed_page_message": DEFAULT_PAGE_MESSAGE,
    "redirect_url": None,
    "display_survey_results": False,
    "edit_response_type": "until_complete",
    "anonymous_type": "not_anonymous",
    "allow_multiple_responses": False,
    "password": None,
    "sender_email": None,
    "response_limit": None,
    "redirect_type": "url",
}
COLLECTOR_NAMES = {"email": "Email Invitation", "weblink": "Web Link"}


@dataclass(frozen=True)
class SurveyPlan:
    title: str
    age_days: int
    questions: tuple[
        tuple[str, str, str, tuple[str, ...]], ...
    ]  # family, subtype, heading, choices
    collectors: tuple[str, ...]
    invite_on_email_collector: bool


SATISFACTION = ("Very satisfied", "Satisfied", "Neutral", "Dissatisfied", "Very dissatisfied")
PLANS = (
    SurveyPlan(
        CSAT_TITLE,
        420,
        (
            ("single_choice", "vertical", "How satisfied were you with our support?", SATISFACTION),
            ("open_ended", "essay", "What could we have done better?", ()),
        ),
        ("email", "weblink"),
        invite_on_email_collector=True,
    ),
    SurveyPlan(
        TABLET_TITLE,
        260,
        (
            (
                "single_choice",
                "vertical",
                "Which tablet do you own?",
                ("Slate 10", "Slate 8 Mini", "Slate Pro 12", "Another brand"),
            ),
            ("open_ended", "essay", "What do you like most about it?", ()),
        ),
        ("weblink",),
        invite_on_email_collector=False,
    ),
    SurveyPlan(
        POST_PURCHASE_TITLE,
        130,
        (
            (
                "single_choice",
                "vertical",
                "How likely are you to recommend us to a friend?",
                ("Very likely", "Likely", "Not sure", "Unlikely", "Very unlikely"),
            ),
            ("open_ended", "essay", "Is there anything else you'd like to tell us?", ()),
        ),
        ("email",),
        invite_on_email_collector=False,
    ),
)


def weblink_url(seed: int, collector_id: str) -> str:
    r = rng(seed, "surveymonkey-weblink", int(collector_id))
    code = "".join(r.choices(string.ascii_uppercase + string.digits, k=7))
    return f"https://www.surveymonkey.com/r/{code}"


def new_collector(
    ids: Ids, seed: int, survey_id: str, kind: str, name: str, options: dict[str, Any], when: int
) -> Collector:
    collector_id = ids.take("collector")
    return Collector(
        id=collector_id,
        survey_id=survey_id,
        type=kind,
        status="open",
        date_created=when,
        date_modified=when,
        url=weblink_url(seed, collector_id) if kind == "weblink" else None,
        options={**COLLECTOR_DEFAULTS, "name": name, **options},
    )


def new_invite(ids: Ids, collector_id: str, when: int) -> Message:
    return Message(
        id=ids.take("message"),
        collector_id=collector_id,
        type="invite",
        subject=DEFAULT_SUBJECT,
        body=DEFAULT_BODY,
        is_branding_enabled=True,
        embed_first_question=False,
        recipient_status=None,
        date_created=when,
    )


@dataclass
class SeededAccount:
    surveys: dict[str, Survey]
    collectors: dict[str, Collector]
    messages: dict[str, Message]


def seed_account(ids: Ids, seed: int, anchor: int) -> SeededAccount:
    account = SeededAccount({}, {}, {})
    for number, plan in enumerate(PLANS):
        r = rng(seed, "surveymonkey-survey", number)
        created = anchor - plan.age_days * DAY + r.randrange(DAY)
        modified = created + r.randrange(20 * DAY, 60 * DAY)
        survey = Survey(
            id=ids.take("survey"),
            title=plan.title,
            nickname="",
            language="en",
            date_created=created,
            date_modified=modified,
            page_id=ids.take("page"),
            questions=tuple(
                Question(
                    id=ids.take("question"),
                    family=family,
                    subtype=subtype,
                    heading=heading,
                    choices=tuple((ids.take("choice"), text) for text in choices),
                )
                for family, subtype, heading, choices in plan.questions
            ),
        )
        account.surveys[survey.id] = survey
        for kind in plan.collectors:
            opened = modified + r.randrange(DAY, 10 * DAY)
            collector = new_collector(
                ids, seed, survey.id, kind, f"{COLLECTOR_NAMES[kind]} 1", {}, opened
            )
            account.collectors[collector.id] = collector
            if kind == "email" and plan.invite_on_email_collector:
                invite = new_invite(ids, collector.id, opened + r.randrange(3600, DAY))
                account.messages[invite.id] = invite
    return account
