"""The services the sandbox emulates, in the order their URL prefixes are matched."""

from __future__ import annotations

from sandbox.mailchimp.service import MailchimpService
from sandbox.service import Service, World
from sandbox.surveymonkey.service import SurveyMonkeyService
from sandbox.zendesk.service import ZendeskService


def build_services(world: World) -> list[Service]:
    return [ZendeskService(world), MailchimpService(world), SurveyMonkeyService(world)]
