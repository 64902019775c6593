"""The invitation email: the links SurveyMonkey requires in its body, and a default that has them.

collectors.md, POST /collectors/{id}/messages: "Message must include [SurveyLink], [OptOutLink],
[PrivacyLink] and [FooterLink] and the opt-out and privacy links must be clearly labeled."
"""

from __future__ import annotations

from typing import Any

from connector.surveymonkey.records import Wording

REQUIRED_LINKS = ("[SurveyLink]", "[OptOutLink]", "[PrivacyLink]", "[FooterLink]")
DEFAULT_SUBJECT = "We want your opinion"
DEFAULT_BODY_TEXT = (
    "We're conducting a survey and your input would be appreciated.\n\n"
    "Begin the survey: [SurveyLink]\n\n"
    "Please do not forward this email, as its survey link is unique to you.\n"
    "Privacy policy: [PrivacyLink]\n"
    "Unsubscribe from these emails: [OptOutLink]\n\n"
    "[FooterLink]\n"
)


def message_body(
    subject: str | None, body_text: str | None, body_html: str | None
) -> dict[str, Any]:
    """The POST body of a new invite message; a body without the required links is refused here."""
    body: dict[str, Any] = {"type": "invite", "subject": subject or DEFAULT_SUBJECT}
    if body_html is not None:
        _check("body_html", body_html)
        body["body_html"] = body_html
    else:
        text = DEFAULT_BODY_TEXT if body_text is None else body_text
        _check("body_text", text)
        body["body_text"] = text
    return body


def wording(body: dict[str, Any]) -> Wording:
    """What a message made from this POST body says, as the API shows it: GET has one `body`,
    the HTML one when both are given (body_html overrides body_text, says the reference)."""
    return Wording(body["subject"], body.get("body_html", body.get("body_text")))


def _check(name: str, text: str) -> None:
    missing = [link for link in REQUIRED_LINKS if link not in text]
    if missing:
        raise ValueError(
            f"the invitation's {name} must include {', '.join(REQUIRED_LINKS)} "
            f"(SurveyMonkey refuses it otherwise); it lacks {', '.join(missing)}"
        )
