"""Merge fields: the missing ones are created; one of another type is reported, never changed."""

from __future__ import annotations

import pytest
import responses

from connector.mailchimp import MergeField, MergeFieldTypeMismatch
from tests.mailchimp_connector_helpers import LIST_ID, LIST_URL, body_of, connector, fixture

MERGE_FIELDS = f"{LIST_URL}/merge-fields"


def test_missing_merge_fields_are_created_and_present_ones_left_alone() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MERGE_FIELDS, json=fixture("merge_fields.json"))
        rsps.post(MERGE_FIELDS, json=fixture("merge_field_created.json"))
        result = connector().ensure_merge_fields(LIST_ID, {"fname": "text", "PLAN": "text"})
        assert body_of(rsps.calls[1]) == {"tag": "PLAN", "name": "PLAN", "type": "text"}
    assert result.present == (MergeField(1, "FNAME", "First Name", "text"),)
    assert result.created == (MergeField(5, "PLAN", "PLAN", "text"),)


def test_merge_fields_of_another_type_are_all_reported_and_nothing_is_created() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MERGE_FIELDS, json=fixture("merge_fields.json"))
        with pytest.raises(MergeFieldTypeMismatch) as raised:
            connector().ensure_merge_fields(
                LIST_ID, {"FNAME": "number", "BIRTHDAY": "date", "PLAN": "text"}
            )
        assert len(rsps.calls) == 1
    assert "FNAME is text, wanted number; BIRTHDAY is birthday, wanted date" in str(raised.value)
    assert [(f.tag, wanted) for f, wanted in raised.value.mismatches] == [
        ("FNAME", "number"),
        ("BIRTHDAY", "date"),
    ]


def test_wanted_merge_fields_that_cannot_be_are_all_named_before_any_call() -> None:
    wanted = {"TOO_LONG_A_TAG": "text", "PLAN": "colour", "OK": "text", "ok": "number"}
    with pytest.raises(ValueError) as raised:
        connector().ensure_merge_fields(LIST_ID, wanted)
    message = str(raised.value)
    assert "'TOO_LONG_A_TAG': a merge tag is 1 to 10 letters" in message
    assert "PLAN: 'colour' is not a merge field type" in message
    assert "ok: asked for as both text and number" in message


def test_a_missing_dropdown_cannot_be_made_from_a_type_name() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MERGE_FIELDS, json=fixture("merge_fields.json"))
        with pytest.raises(ValueError, match=r"LEVEL \(dropdown\).*need choices"):
            connector().ensure_merge_fields(LIST_ID, {"LEVEL": "dropdown"})
