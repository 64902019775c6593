"""The plan's shortcut for settled addresses never hides something to do."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs import mailchimp_plan
from jobs.mailchimp_plan import TagOwners, member_diff

TAGS = st.lists(st.sampled_from(["VIP", "vip", "Phones: X", "Newsletter"]), unique=True)
MERGE = st.dictionaries(st.sampled_from(["PHONEMODEL", "TIER"]), st.sampled_from(["", "a", "b"]))
STATUS = st.sampled_from([None, "subscribed", "pending", "unsubscribed", "cleaned", "archived"])


def dumped(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


wants = st.none() | st.builds(
    lambda tags, merge: SimpleNamespace(
        tags=dumped(sorted(tags)), merge=dumped(merge), status_if_new="pending"
    ),
    TAGS,
    MERGE,
)
haves = st.none() | st.builds(
    lambda tags, merge, pushed, status, error: SimpleNamespace(
        tags=dumped(sorted(tags)),
        merge=dumped(merge),
        pushed=dumped(sorted(pushed)),
        status=status,
        error=error,
    ),
    TAGS,
    MERGE,
    TAGS,
    STATUS,
    st.none() | st.just("ERROR_GENERIC: refused"),
)


def _list(name: str, on_leave: str) -> Any:
    """What the plan reads of a list that owns a tag."""
    return SimpleNamespace(
        name=name, spec=SimpleNamespace(mailchimp=SimpleNamespace(on_leave=on_leave))
    )


@settings(max_examples=400)
@given(wants, haves, st.booleans())
def test_the_shortcut_agrees_with_the_full_comparison(want: Any, have: Any, alike: bool) -> None:
    if want is None and have is None:
        return
    if alike and want is not None and have is not None:  # the case the shortcut is for
        have.tags, have.merge = want.tags, want.merge
    owners = TagOwners(
        {"vip": _list("VIPs", "untag"), "newsletter": _list("Readers", "archive")},
        (("phones: ", _list("Phones", "untag")),),
    )
    quick = member_diff("ann@example.org", want, have, owners)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mailchimp_plan, "_settled", lambda want, have: False)
        full = member_diff("ann@example.org", want, have, owners)
    assert quick == full
