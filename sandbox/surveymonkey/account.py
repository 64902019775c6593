"""The account's current data and the rules that change it: collectors, messages, recipients, sends.

Contacts are made when an address is first added as a recipient; a recipient's id is its
contact's id ("succeeded.id: Contact id for the recipient", collectors.md), so the same address
keeps one id across the account's collectors and messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import Clock
from sandbox.surveymonkey.bodies import BulkBody, ContactInput, MessageBody
from sandbox.surveymonkey.errors import fail
from sandbox.surveymonkey.ids import Ids
from sandbox.surveymonkey.models import Collector, Contact, Message, Survey
from sandbox.surveymonkey.seed import (
    COLLECTOR_NAMES,
    DEFAULT_BODY,
    DEFAULT_SUBJECT,
    new_collector,
    seed_account,
)
from sandbox.surveymonkey.suppression import OPTED_OUT, Suppression

NOT_FOUND, CONFLICT, BAD_BODY = "1020", "1025", "1002"
PROCESSING_SECONDS = 3.0  # virtual seconds an immediate send spends "processing" before "sent"
_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}(?<!\.)"
    r"@(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def is_valid_email(address: str) -> bool:
    return _EMAIL.match(address) is not None


@dataclass
class BulkOutcome:
    succeeded: list[tuple[str, str]] = field(default_factory=list)  # (contact id, email)
    invalids: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    bounced: list[str] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)


class Account:
    def __init__(self, seed: int, anchor: int, clock: Clock, suppression: Suppression) -> None:
        self.seed = seed
        self.clock = clock
        self.suppression = suppression
        self.ids = Ids(seed)
        seeded = seed_account(self.ids, seed, anchor)
        self.surveys: dict[str, Survey] = seeded.surveys
        self.collectors: dict[str, Collector] = seeded.collectors
        self.messages: dict[str, Message] = seeded.messages
        self.contacts: dict[str, Contact] = {}
        self.contact_ids_by_email: dict[str, str] = {}  # lower-cased address -> contact id
        self.contact_order: list[str] = []

    # --- lookups that answer SurveyMonkey's 404 ---------------------------------------------------

    def survey(self, survey_id: str) -> Survey:
        found = self.surveys.get(survey_id)
        if found is None:
            raise fail(NOT_FOUND, f"Survey {survey_id!r} does not exist.")
        return found

    def collector(self, collector_id: str) -> Collector:
        found = self.collectors.get(collector_id)
        if found is None:
            raise fail(NOT_FOUND, f"Collector {collector_id!r} does not exist.")
        return found

    def message(self, collector: Collector, message_id: str) -> Message:
        found = self.messages.get(message_id)
        if found is None or found.collector_id != collector.id:
            raise fail(
                NOT_FOUND, f"Message {message_id!r} does not exist on collector {collector.id!r}."
            )
        return found

    def collectors_of(self, survey: Survey) -> list[Collector]:
        return [c for c in self.collectors.values() if c.survey_id == survey.id]

    def messages_of(self, collector: Collector) -> list[Message]:
        return [m for m in self.messages.values() if m.collector_id == collector.id]

    def status(self, message: Message) -> str:
        return message.status_at(self.clock.now(), self.clock.virtual_elapsed(), PROCESSING_SECONDS)

    def mail_status(self, collector: Collector, contact_id: str) -> str:
        """Across the collector's messages: sent if any reached them, else processing, not_sent."""
        statuses = {
            self.status(m) for m in self.messages_of(collector) if contact_id in m.recipients
        }
        return next((s for s in ("sent", "processing") if s in statuses), "not_sent")

    # --- changes ----------------------------------------------------------------------------------

    def create_collector(self, survey: Survey, kind: str, options: dict[str, Any]) -> Collector:
        number = sum(1 for c in self.collectors_of(survey) if c.type == kind) + 1
        name = f"{COLLECTOR_NAMES[kind]} {number}"
        collector = new_collector(
            self.ids, self.seed, survey.id, kind, name, options, int(self.clock.now())
        )
        self.collectors[collector.id] = collector
        return collector

    def create_message(self, collector: Collector, body: MessageBody) -> Message:
        if collector.type != "email":
            raise fail(
                CONFLICT,
                f"Collector {collector.id!r} is a {collector.type} collector; "
                "only email collectors send messages.",
            )
        message = Message(
            id=self.ids.take("message"),
            collector_id=collector.id,
            type=body.type,
            subject=body.subject or DEFAULT_SUBJECT,
            body=body.body or DEFAULT_BODY,
            is_branding_enabled=body.is_branding_enabled,
            embed_first_question=body.embed_first_question,
            recipient_status=body.recipient_status,
            date_created=int(self.clock.now()),
        )
        self.messages[message.id] = message
        return message

    def add_recipients(self, collector: Collector, message: Message, bulk: BulkBody) -> BulkOutcome:
        if message.type != "invite":
            raise fail(
                CONFLICT,
                f"Message {message.id!r} is a {message.type} message; recipients "
                "can be added to invite messages only.",
            )
        if self.status(message) != "not_sent":
            raise fail(
                CONFLICT,
                f"Message {message.id!r} was already sent; recipients can only "
                "be added to a message with status 'not_sent'.",
            )
        inputs = self._known_contacts(bulk) + bulk.contacts
        clear_missing_custom = any(given.custom_fields is not None for given in inputs)
        outcome = BulkOutcome()
        seen: set[str] = set()
        for given in inputs:
            folded = given.email.lower()
            if not is_valid_email(given.email):
                outcome.invalids.append(given.email)
                continue
            if folded in seen:
                outcome.duplicate.append(given.email)
                continue
            seen.add(folded)
            known_id = self.contact_ids_by_email.get(folded)
            if known_id is not None and known_id in message.recipients:
                self._update_contact(self.contacts[known_id], given, clear_missing_custom)
                outcome.existing.append(given.email)
                continue
            suppressed = self.suppression.status(given.email)
            if suppressed is not None:
                listed = outcome.opted_out if suppressed == OPTED_OUT else outcome.bounced
                listed.append(given.email)
                continue
            contact = self._contact_for(given, clear_missing_custom)
            message.recipients[contact.id] = None
            message.extra_fields[contact.id] = given.extra_fields
            collector.recipients.setdefault(contact.id, None)
            outcome.succeeded.append((contact.id, given.email))
        return outcome

    def send(self, collector: Collector, message: Message, scheduled: int | None) -> list[str]:
        """Send now or schedule; the ids of the recipients it goes to."""
        status = self.status(message)
        if status != "not_sent":
            raise fail(
                CONFLICT,
                f"Message {message.id!r} has status {status!r}; only a message "
                "with status 'not_sent' can be sent.",
            )
        now = self.clock.now()
        if scheduled is not None and scheduled <= now:
            raise fail(BAD_BODY, "'scheduled_date' must be in the future.")
        if message.type != "invite":
            message.recipients = dict.fromkeys(self._follow_up_audience(collector, message))
        if not message.recipients:
            raise fail(
                CONFLICT,
                f"Message {message.id!r} has no recipients; add them with POST "
                f"/collectors/{collector.id}/messages/{message.id}"
                "/recipients/bulk first.",
            )
        if scheduled is not None:
            message.scheduled_date = scheduled
        else:
            message.scheduled_date = int(now)
            message.sent_virtual = self.clock.virtual_elapsed()
        return list(message.recipients)

    def opt_out(self, email: str) -> None:
        self.suppression.add(OPTED_OUT, email)

    # --- helpers ----------------------------------------------------------------------------------

    def _known_contacts(self, bulk: BulkBody) -> list[ContactInput]:
        for position, list_id in enumerate(bulk.contact_list_ids):
            raise fail(
                NOT_FOUND,
                f"'contact_list_ids[{position}]': contact list {list_id!r} does not exist.",
            )
        found = []
        for position, contact_id in enumerate(bulk.contact_ids):
            contact = self.contacts.get(contact_id)
            if contact is None:
                raise fail(
                    NOT_FOUND, f"'contact_ids[{position}]': contact {contact_id!r} does not exist."
                )
            found.append(
                ContactInput(contact.email, contact.first_name, contact.last_name, None, {})
            )
        return found

    def _contact_for(self, given: ContactInput, clear_missing_custom: bool) -> Contact:
        folded = given.email.lower()
        known_id = self.contact_ids_by_email.get(folded)
        if known_id is not None:
            contact = self.contacts[known_id]
            self._update_contact(contact, given, clear_missing_custom)
            return contact
        contact = Contact(
            self.ids.take("contact"),
            given.email,
            given.first_name,
            given.last_name,
            dict(given.custom_fields or {}),
        )
        self.contacts[contact.id] = contact
        self.contact_ids_by_email[folded] = contact.id
        self.contact_order.append(contact.id)
        return contact

    @staticmethod
    def _update_contact(contact: Contact, given: ContactInput, clear_missing_custom: bool) -> None:
        # "If custom_fields are provided for any one contact, all contacts will have their
        # custom_fields updated ... contact_2's previous custom_fields will be cleared."
        if given.custom_fields is not None or clear_missing_custom:
            contact.custom_fields = dict(given.custom_fields or {})
        contact.first_name = given.first_name or contact.first_name
        contact.last_name = given.last_name or contact.last_name

    def _follow_up_audience(self, collector: Collector, message: Message) -> list[str]:
        """Who a reminder or thank-you goes to: those invited, filtered by how they responded.

        The sandbox records no survey responses, so everyone invited "has_not_responded" and
        nobody "completed", "responded" or "partially_responded".
        """
        if message.recipient_status != "has_not_responded":
            return []
        invites = [m for m in self.messages_of(collector) if m.type == "invite"]
        invited = [
            c
            for c in collector.recipients
            if any(c in m.recipients and self.status(m) == "sent" for m in invites)
        ]
        return [c for c in invited if self.suppression.status(self.contacts[c].email) is None]
