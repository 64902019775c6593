"""Write-backs: only what the rules want and Zendesk does not have; none once it has it."""

from __future__ import annotations

from typing import Any

import pytest

from jobs.writeback import TicketWrite, UserWrite, same_value, ticket_writes, user_write
from mappings.rules import Desired


@pytest.mark.parametrize(
    ("current", "wanted", "same"),
    [
        ("2024-05-01T00:00:00Z", "2024-05-01", True),
        ("2024-05-01T00:00:00+00:00", "2024-05-01", True),
        ("2024-05-02T00:00:00Z", "2024-05-01", False),
        (1000, 1000.0, True),
        ("1000.00", 1000, True),
        ("lots", 1000, False),
        (True, True, True),
        (1, True, False),
        (None, False, False),
        ("platinum", "platinum", True),
        ("Platinum", "platinum", False),
        (["b", "a"], ["a", "b"], True),
        (None, "x", False),
    ],
)
def test_values_compare_as_zendesk_keeps_them(current: object, wanted: object, same: bool) -> None:
    assert same_value(current, wanted) is same


def test_a_profile_that_already_has_what_the_rules_want_needs_no_write() -> None:
    profile = {
        "user_fields": {"bad_rating_submitted": True, "plan_join_date": "2024-05-01T00:00:00Z"},
        "tags": ["bad_rating", "vip"],
    }
    desired = Desired(
        fired=("r",),
        user_fields={"bad_rating_submitted": True, "plan_join_date": "2024-05-01"},
        add_tags=frozenset({"bad_rating"}),
        remove_tags=frozenset({"newsletter"}),
    )
    assert user_write(7, profile, desired) is None


def test_only_the_differences_are_written_and_tags_go_as_the_whole_new_list() -> None:
    profile = {"user_fields": {"vip": False, "service_level": "gold"}, "tags": ["newsletter", "x"]}
    desired = Desired(
        fired=("r",),
        user_fields={"vip": True, "service_level": "gold"},
        add_tags=frozenset({"vip", "x"}),
        remove_tags=frozenset({"newsletter"}),
    )
    write = user_write(7, profile, desired)
    assert write == UserWrite(7, {"vip": True}, ("x", "vip"))
    assert write.attributes() == {"user_fields": {"vip": True}, "tags": ["x", "vip"]}


def test_fields_alone_leave_the_tags_out_of_the_write() -> None:
    write = user_write(7, {"user_fields": {}, "tags": ["a"]}, Desired(("r",), {"vip": True}))
    assert write is not None and write.attributes() == {"user_fields": {"vip": True}}


def unsolved(ticket_id: int, priority: str | None, group: int | None, tags: list[str]) -> Any:
    return {"id": ticket_id, "priority": priority, "group_id": group, "tags": tags}


def test_unsolved_tickets_get_priority_group_and_tags_they_lack() -> None:
    desired = Desired(
        fired=("VIP",),
        ticket_priority="high",
        ticket_group="VIP Support",
        ticket_tags=frozenset({"vip_ticket"}),
    )
    tickets = [
        unsolved(1, "normal", 10, []),
        unsolved(2, "high", 20, ["vip_ticket"]),  # already done
        unsolved(3, "high", 10, ["vip_ticket"]),
    ]
    writes = ticket_writes(tickets, desired, {"VIP Support": 20, "Support": 10})
    assert writes == [
        TicketWrite(1, "high", 20, ("vip_ticket",)),
        TicketWrite(3, None, 20, ()),
    ]
    assert writes[0].attributes() == {
        "priority": "high",
        "group_id": 20,
        "additional_tags": ["vip_ticket"],
    }
    assert ticket_writes(tickets[1:2], desired, {"VIP Support": 20}) == []
