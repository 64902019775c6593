"""Config errors as the admin sees them: one class per test, the exact message, file and line."""

from __future__ import annotations

import pytest

from mappings.schema import ZendeskSchema
from tests.mapping_helpers import check_files, messages, sandbox_schema

SCHEMA = sandbox_schema()
ZENDESK = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"
"""
MAILCHIMP = """\
[mailchimp]
api_key = "env:MAILCHIMP_API_KEY"
"""
PHONE_OPTIONS = (
    "'iPhone 11' (tag iphone_11), 'iPhone 12' (tag iphone_12), 'iPhone 13' (tag iphone_13), "
    "'iPhone 14' (tag iphone_14), 'iPhone 15' (tag iphone_15)"
)
KNOWN_FIELDS = (
    "average_annual_spend, bad_rating_submitted, ios_version, last_purchase_date, phone_model, "
    "plan_join_date, product_line, service_level, social_influence, subscription_renewal_date, "
    "tablet, vip"
)


def errors(text: str, schema: ZendeskSchema | None = SCHEMA) -> list[str]:
    """Every problem of a one-file config that does not load."""
    loaded, problems = check_files({"config.toml": text}, schema=schema)
    assert loaded is None
    return messages(problems)


def list_with(condition: str) -> str:
    """ZENDESK (lines 1-4) and a list whose condition is on line 7."""
    return ZENDESK + f'[[lists]]\nname = "A"\nconditions = {{ all = [{condition}] }}\n'


def rule_with(action: str) -> str:
    """ZENDESK (lines 1-4) and a rule whose action is on line 7."""
    return ZENDESK + f'[[rules]]\nname = "R"\nactions = [{action}]\n'


# --- the model's shape ----------------------------------------------------------------------------


def test_unknown_key_names_the_close_known_one() -> None:
    assert errors(ZENDESK + 'subdomian = "acme"\n') == [
        "config.toml:5: zendesk.subdomian: 'subdomian' is not a known key "
        "(did you mean 'subdomain'?)"
    ]


def test_unknown_section_names_the_close_known_one() -> None:
    assert errors(ZENDESK + "[limit]\nmailchimp_connections = 3\n") == [
        "config.toml:5: limit: 'limit' is not a known key (did you mean 'limits'?)"
    ]


def test_missing_required_key_is_placed_at_its_table() -> None:
    text = '[zendesk]\nsubdomain = "acme"\ntoken = "env:ZENDESK_TOKEN"\n'
    assert errors(text) == ["config.toml:1: zendesk.email: required, but not set"]


def test_wrong_type_says_what_was_expected_but_not_the_value() -> None:
    assert errors(ZENDESK + '[limits]\nmailchimp_connections = "ten"\n') == [
        "config.toml:6: limits.mailchimp_connections: expected a whole number, got text"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            ZENDESK.replace("token", 'plan = "pro"\ntoken'),
            "config.toml:4: zendesk.plan: 'pro' is not a valid plan; expected one of 'team', "
            "'growth', 'professional', 'enterprise', 'enterprise_plus', 'high_volume'",
            id="plan",
        ),
        pytest.param(
            ZENDESK
            + MAILCHIMP
            + '[[lists]]\nname = "A"\nmailchimp = { audience = "Main", on_leave = "delete" }\n',
            "config.toml:9: lists[0].mailchimp.on_leave: 'delete' is not a valid on_leave; "
            "expected one of 'untag', 'archive', 'nothing'",
            id="on_leave",
        ),
        pytest.param(
            ZENDESK + MAILCHIMP + 'status_if_new = "subscribe"\n',
            "config.toml:7: mailchimp.status_if_new: 'subscribe' is not a valid status_if_new "
            "(did you mean 'subscribed'?)",
            id="status_if_new",
        ),
    ],
)
def test_bad_choice_lists_the_allowed_values_or_the_close_one(text: str, expected: str) -> None:
    assert errors(text) == [expected]


def test_bad_subdomain_explains_what_a_subdomain_is() -> None:
    assert errors(ZENDESK.replace('"acme"', '"Acme.zendesk.com"')) == [
        "config.toml:2: zendesk.subdomain: 'Acme.zendesk.com' is not a Zendesk subdomain: "
        "the part before .zendesk.com, e.g. 'acme' for acme.zendesk.com"
    ]


def test_bad_email() -> None:
    assert errors(ZENDESK.replace("admin@acme.test", "admin")) == [
        "config.toml:3: zendesk.email: 'admin' is not an email address"
    ]


def test_state_url_with_a_password_is_refused_without_showing_it() -> None:
    found = errors(ZENDESK + '[state]\nurl = "postgresql://bob:hunter2@db/deskbridge"\n')
    assert found == [
        "config.toml:6: state.url: holds a password; leave it out of the URL and set "
        'state.password = "env:NAME" or "file:/run/secrets/name" instead'
    ]
    assert "hunter2" not in found[0]


def test_bad_cron_expression() -> None:
    assert errors(ZENDESK + '[[schedule.jobs]]\nname = "n"\ncron = "0 3 * *"\n') == [
        "config.toml:7: schedule.jobs[0].cron: '0 3 * *' is not a cron expression: expected 5 "
        "fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"
    ]


@pytest.mark.parametrize(
    "trigger",
    [
        pytest.param('cron = "0 3 * * *"\nevery = "15m"\n', id="both"),
        pytest.param("", id="neither"),
    ],
)
def test_a_job_needs_exactly_one_of_every_and_cron(trigger: str) -> None:
    assert errors(ZENDESK + '[[schedule.jobs]]\nname = "n"\n' + trigger) == [
        "config.toml:5: schedule.jobs[0]: set exactly one of every (e.g. '15m') "
        "or cron (e.g. '0 3 * * *')"
    ]


def test_two_jobs_of_one_name_are_refused_at_the_schedule() -> None:
    jobs = '[[schedule.jobs]]\nname = "n"\nevery = "15m"\n' * 2
    assert errors(ZENDESK + "[schedule]\n" + jobs) == [
        "config.toml:5: schedule: jobs must have distinct names; twice: ['n']"
    ]


def test_bad_duration() -> None:
    assert errors(ZENDESK + '[[schedule.jobs]]\nname = "n"\nevery = "15 minutes"\n') == [
        "config.toml:7: schedule.jobs[0].every: expected a duration such as '15m', '1h30m', "
        "'2d' or seconds, got '15 minutes'"
    ]


# --- conditions -----------------------------------------------------------------------------------


def test_unknown_operator_lists_the_operators() -> None:
    found = errors(list_with('{ field = "tags", operator = "contains", value = "vip" }'))
    assert found == [
        "config.toml:7: lists[0].conditions.all[0].operator: unknown operator 'contains'; "
        "expected one of is, is_not, less_than, greater_than, less_than_or_equal, "
        "greater_than_or_equal, includes, not_includes, includes_string, not_includes_string, "
        "present, not_present, within_previous_n_days, within_next_n_days, more_than_n_days_ago"
    ]


def test_operator_that_does_not_fit_the_field_type() -> None:
    found = errors(list_with('{ field = "tickets.count", operator = "includes", value = "x" }'))
    assert found == [
        "config.toml:7: lists[0].conditions.all[0].operator: includes does not apply to "
        "tickets.count (number); expected one of is, is_not, less_than, greater_than, "
        "less_than_or_equal, greater_than_or_equal, present, not_present"
    ]


def test_unknown_user_field_names_the_known_ones() -> None:
    condition = '{ field = "user_fields.phone_modle", operator = "is", value = "iPhone 15" }'
    assert errors(list_with(condition)) == [
        "config.toml:7: lists[0].conditions.all[0].field: unknown user field 'phone_modle'; "
        f"known user fields: {KNOWN_FIELDS} (did you mean 'user_fields.phone_model'?)"
    ]


def test_dropdown_value_that_is_not_an_option_names_the_options() -> None:
    condition = '{ field = "user_fields.phone_model", operator = "is", value = "iPhone 16" }'
    assert errors(list_with(condition)) == [
        "config.toml:7: lists[0].conditions.all[0].value: 'iPhone 16' is not an option of "
        f"user_fields.phone_model; its options are {PHONE_OPTIONS} (did you mean 'iPhone 15'?)"
    ]


@pytest.mark.parametrize("value", ["iPhone 15", "iphone_15", "IPHONE 15"])
def test_dropdown_value_may_be_the_option_name_or_its_tag(value: str) -> None:
    condition = f'{{ field = "user_fields.phone_model", operator = "is", value = "{value}" }}'
    loaded, problems = check_files({"config.toml": list_with(condition)}, schema=SCHEMA)
    assert problems == []
    assert loaded is not None


def test_number_compared_with_a_date_field() -> None:
    condition = '{ field = "user_fields.last_purchase_date", operator = "greater_than", value = 5 }'
    assert errors(list_with(condition)) == [
        "config.toml:7: lists[0].conditions.all[0].value: expected a date or time such as "
        "2024-02-01 or 2024-02-01T09:30:00Z, got 5"
    ]


# --- rule actions ---------------------------------------------------------------------------------


def test_action_on_a_user_field_that_does_not_exist() -> None:
    assert errors(rule_with('{ field = "user_fields.vipp", value = true }')) == [
        "config.toml:7: rules[0].actions[0].field: the user field 'vipp' does not exist in "
        f"Zendesk; known user fields: {KNOWN_FIELDS} (did you mean 'user_fields.vip'?)"
    ]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        pytest.param(
            '{ field = "user_fields.vip", value = "yes" }',
            "vip is a checkbox field: expected true or false, got 'yes'",
            id="checkbox",
        ),
        pytest.param(
            '{ field = "user_fields.average_annual_spend", value = "lots" }',
            "average_annual_spend is a decimal field: expected a number, got 'lots'",
            id="number",
        ),
        pytest.param(
            '{ field = "user_fields.average_annual_spend", value = true }',
            "average_annual_spend is a decimal field: expected a number, got True",
            id="number-not-bool",
        ),
        pytest.param(
            '{ field = "user_fields.last_purchase_date", value = "yesterday" }',
            "last_purchase_date is a date field: expected a date, e.g. 2024-05-01, got 'yesterday'",
            id="date",
        ),
    ],
)
def test_action_value_of_the_wrong_type(action: str, expected: str) -> None:
    assert errors(rule_with(action)) == [f"config.toml:7: rules[0].actions[0].value: {expected}"]


def test_bad_priority_suggests_the_close_one() -> None:
    assert errors(rule_with('{ field = "tickets.priority", value = "hihg" }')) == [
        "config.toml:7: rules[0].actions[0].value: expected a priority: one of low, normal, "
        "high, urgent; got 'hihg' (did you mean 'high'?)"
    ]


def test_unknown_group_names_the_groups() -> None:
    assert errors(rule_with('{ field = "tickets.group", value = "VIP" }')) == [
        "config.toml:7: rules[0].actions[0].value: there is no Zendesk group named 'VIP'; "
        "groups: Support, VIP Support, Returns"
    ]


# --- names, lists and destinations ----------------------------------------------------------------


def test_duplicate_list_and_rule_names_point_at_the_first() -> None:
    text = ZENDESK + (
        '[[lists]]\nname = "A"\n'
        '[[lists]]\nname = "a"\n'
        '[[rules]]\nname = "R"\nactions = [{ field = "add_tags", value = "x" }]\n'
        '[[rules]]\nname = "R"\nactions = [{ field = "add_tags", value = "y" }]\n'
    )
    assert errors(text) == [
        "config.toml:8: lists[1].name: another list is already named 'a' (lists[0])",
        "config.toml:13: rules[1].name: another rule is already named 'R' (rules[0])",
    ]


def test_list_sending_to_mailchimp_needs_the_mailchimp_section() -> None:
    assert errors(ZENDESK + '\n[[lists]]\nname = "A"\nmailchimp = { audience = "Main" }\n') == [
        "config.toml:8: lists[0].mailchimp: sends to Mailchimp, but there is no [mailchimp] "
        "section with the api_key"
    ]


def test_two_lists_may_not_drive_one_tag_in_one_audience() -> None:
    text = (
        ZENDESK
        + MAILCHIMP
        + '[[lists]]\nname = "A"\nmailchimp = { audience = "Main", tag = "vip" }\n'
        + '[[lists]]\nname = "B"\nmailchimp = { audience = "main", tag = "VIP" }\n'
    )
    assert errors(text) == [
        "config.toml:12: lists[1].mailchimp.tag: the tag 'VIP' in audience 'main' is already "
        "used by the list 'A'; give one of them another tag"
    ]


def test_bad_merge_tag() -> None:
    text = (
        ZENDESK
        + MAILCHIMP
        + '[[lists]]\nname = "A"\n'
        + 'mailchimp = { audience = "Main", '
        + 'merge_fields = { phone = "user_fields.phone_model" } }\n'
    )
    assert errors(text) == [
        "config.toml:9: lists[0].mailchimp.merge_fields.phone: 'phone' is not a Mailchimp merge "
        "tag: up to 10 capital letters, digits or _, starting with a letter (e.g. PRODUCT)"
    ]


def test_group_by_a_time_field_is_refused() -> None:
    text = ZENDESK + '\n[[lists]]\nname = "A"\ngroup_by = "user_fields.last_purchase_date"\n'
    assert errors(text) == [
        "config.toml:8: lists[0].group_by: cannot group by user_fields.last_purchase_date "
        "(time); group by a text, number, true/false or list field such as "
        "user_fields.phone_model"
    ]


# --- tests ----------------------------------------------------------------------------------------


def test_tests_naming_unknown_lists_and_rules() -> None:
    text = ZENDESK + (
        '[[lists]]\nname = "VIP customers"\n'
        '[[rules]]\nname = "R"\nactions = [{ field = "add_tags", value = "x" }]\n'
        '[[tests]]\nname = "t"\nin_lists = ["VIP customer"]\nfires = ["Q"]\n'
    )
    assert errors(text) == [
        "config.toml:12: tests[0].in_lists[0]: there is no list 'VIP customer'; "
        "lists: VIP customers (did you mean 'VIP customers'?)",
        "config.toml:13: tests[0].fires[0]: there is no rule 'Q'; rules: R",
    ]


def test_test_profile_with_an_unknown_section() -> None:
    text = ZENDESK + '\n[[tests]]\nname = "t"\nprofile = { user_feilds = { vip = true } }\n'
    assert errors(text) == [
        "config.toml:8: tests[0].profile.user_feilds: 'user_feilds' is not part of a profile; "
        "expected user, user_fields, tags, tickets, satisfaction, mailchimp "
        "(did you mean 'user_fields'?)"
    ]


# --- files and the whole --------------------------------------------------------------------------


def test_problems_in_included_files_name_that_file_and_line_all_at_once_sorted() -> None:
    files = {
        "config.toml": 'include = ["recipes/*.toml"]\n'
        + ZENDESK
        + "[limits]\nmailchimp_connections = 11\n",
        "recipes/b.toml": '[[rules]]\nname = "R"\ncondition = {}\n'
        'actions = [{ field = "tickets.priority", value = "hihg" }]\n',
        "recipes/a.toml": '\n[[lists]]\nname = "A"\n'
        'conditions = { all = [{ field = "tags", operator = "includes", value = 3 }] }\n',
    }
    loaded, problems = check_files(files, schema=SCHEMA)
    assert loaded is None
    assert messages(problems) == [
        "config.toml:7: limits.mailchimp_connections: expected less than or equal to 10",
        "recipes/a.toml:4: lists[0].conditions.all[0].value: expected text or a list of text, "
        "got 3",
        "recipes/b.toml:3: rules[0].condition: 'condition' is not a known key "
        "(did you mean 'conditions'?)",
        "recipes/b.toml:4: rules[0].actions[0].value: expected a priority: one of low, normal, "
        "high, urgent; got 'hihg' (did you mean 'high'?)",
    ]


def test_several_problems_in_one_file_come_back_sorted_by_line() -> None:
    text = (
        '[zendesk]\nsubdomain = "Acme!"\nemail = "nobody"\ntoken = "env:ZENDESK_TOKEN"\n'
        + '[[rules]]\nname = "R"\nactions = [{ field = "tickets.group", value = "Nope" }]\n'
        + '[[lists]]\nname = "A"\n'
        + 'conditions = { any = [{ field = "tags", operator = "has", value = "x" }] }\n'
    )
    found = errors(text)
    assert [line.split(":", 2)[1] for line in found] == ["2", "3", "7", "10"]
    assert found[1] == "config.toml:3: zendesk.email: 'nobody' is not an email address"
    assert found[2].startswith("config.toml:7: rules[0].actions[0].value: there is no Zendesk")


def test_a_secret_written_inline_is_only_a_warning() -> None:
    loaded, problems = check_files(
        {"config.toml": ZENDESK.replace("env:ZENDESK_TOKEN", "abc123")}, schema=SCHEMA
    )
    assert loaded is not None
    assert messages(problems) == [
        "config.toml:4: warning: zendesk.token: holds a secret inline; write env:NAME or "
        "file:/path instead of the secret itself"
    ]
    assert loaded.warnings == tuple(problems)
    assert loaded.config.zendesk.token.reveal() == "abc123"
    assert "abc123" not in messages(problems)[0]


def test_a_wrong_connection_does_not_hide_problems_in_lists_and_tests() -> None:
    text = (
        '[zendesk]\nsubdomain = "acme"\nemail = "nobody"\ntoken = "env:ZENDESK_TOKEN"\n'
        + '[[lists]]\nname = "A"\ngroup_by = "user_fields.phon_model"\n'
        + '[[lists]]\nname = "A"\n'
        + '[[tests]]\nname = "t"\nin_lists = ["B"]\n'
    )
    assert errors(text) == [
        "config.toml:3: zendesk.email: 'nobody' is not an email address",
        "config.toml:7: lists[0].group_by: unknown user field 'phon_model'; known user fields: "
        "average_annual_spend, bad_rating_submitted, ios_version, last_purchase_date, "
        "phone_model, plan_join_date, product_line, service_level, social_influence, "
        "subscription_renewal_date, tablet, vip (did you mean 'user_fields.phone_model'?)",
        "config.toml:9: lists[1].name: another list is already named 'A' (lists[0])",
        "config.toml:12: tests[0].in_lists[0]: there is no list 'B'; lists: A",
    ]


def test_an_invitation_body_without_surveymonkeys_links_is_refused() -> None:
    text = (
        ZENDESK
        + '[surveymonkey]\naccess_token = "env:SURVEYMONKEY_TOKEN"\n'
        + '[[lists]]\nname = "A"\n'
        + '[lists.surveymonkey]\nsurvey = "S"\nbody = "Take it: [SurveyLink]"\n'
    )
    assert errors(text) == [
        "config.toml:11: lists[0].surveymonkey.body: must include [SurveyLink], [OptOutLink], "
        "[PrivacyLink], [FooterLink] (SurveyMonkey refuses an invitation without them); this "
        "body lacks [OptOutLink], [PrivacyLink], [FooterLink]"
    ]
