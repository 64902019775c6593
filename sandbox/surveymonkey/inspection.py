"""The control API's view of the account (`state`) and the changes it can make (`mutate`)."""

from __future__ import annotations

import random
from typing import Any

from sandbox.population import Population
from sandbox.surveymonkey.account import Account
from sandbox.surveymonkey.suppression import BOUNCED, OPTED_OUT, STATUS_DRAW
from sandbox.surveymonkey.views import date_string

Json = dict[str, Any]
OPT_OUT = "surveymonkey_opt_out"
TRIES = 50


def account_state(account: Account) -> Json:
    seeded = account.suppression.seeded_listing()
    return {
        "surveys": [
            {
                "id": s.id,
                "title": s.title,
                "date_created": date_string(s.date_created),
                "date_modified": date_string(s.date_modified),
                "collectors": [c.id for c in account.collectors_of(s)],
            }
            for s in account.surveys.values()
        ],
        "collectors": [
            {
                "id": c.id,
                "survey_id": c.survey_id,
                "type": c.type,
                "name": c.options["name"],
                "status": c.status,
                "url": c.url,
                "recipients": len(c.recipients),
            }
            for c in account.collectors.values()
        ],
        "messages": [
            {
                "id": m.id,
                "collector_id": m.collector_id,
                "type": m.type,
                "status": account.status(m),
                "is_scheduled": m.is_scheduled,
                "scheduled_date": date_string(m.scheduled_date),
                "recipients": [
                    {"id": contact_id, "email": account.contacts[contact_id].email}
                    for contact_id in m.recipients
                ],
            }
            for m in account.messages.values()
        ],
        "contacts": len(account.contacts),
        "opted_out": {
            "added": sorted(account.suppression.added[OPTED_OUT]),
            "seeded": seeded[OPTED_OUT],
        },
        "bounced": {"added": sorted(account.suppression.added[BOUNCED]), "seeded": seeded[BOUNCED]},
        "seeded_suppression": (
            f"customer i's address is opted out if unit(seed, {STATUS_DRAW!r}, i) < 0.01, "
            "bounced if it is in [0.01, 0.02)"
        ),
    }


def opt_out_someone(account: Account, population: Population, rng: random.Random) -> Json | None:
    """An invited recipient opts out of SurveyMonkey mail; if nobody was invited, a customer."""
    suppression = account.suppression
    if account.contact_order:
        for _ in range(TRIES):
            contact = account.contacts[rng.choice(account.contact_order)]
            if suppression.status(contact.email) is None:
                account.opt_out(contact.email)
                return {"email": contact.email, "contact_id": contact.id, "who": "recipient"}
    for _ in range(TRIES):
        person = population.person(rng.randrange(population.size))
        if person.is_customer and person.email and suppression.status(person.email) is None:
            account.opt_out(person.email)
            return {"email": person.email, "contact_id": None, "who": "customer"}
    return None
