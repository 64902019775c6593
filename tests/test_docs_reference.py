"""docs/configuration.md: generated from the config model and the example's comments."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field

from mappings.config import Config, Duration
from mappings.loader import ConfigModel
from mappings.reference import REGENERATE, example_docs, render_reference

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "config.example.toml").read_text(encoding="utf-8")
_KEY_HEADING = re.compile(r"^### `([a-z_.]+)`$", re.M)


def test_the_committed_reference_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == render_reference(Config, EXAMPLE), (
        f"docs/configuration.md is out of date: regenerate it with `{REGENERATE}`"
    )


def test_every_key_of_the_model_is_explained() -> None:
    page = render_reference(Config, EXAMPLE)
    sections = _KEY_HEADING.split(page)[1:]
    explained = dict(zip(sections[::2], sections[1::2], strict=True))
    assert {"zendesk.subdomain", "health.port", "schedule.jobs.every", "tests.now"} <= set(
        explained
    )
    unexplained = [key for key, body in explained.items() if len(body.strip().split("\n\n")) < 2]
    assert unexplained == []


def test_a_key_shows_its_type_bounds_and_default() -> None:
    page = render_reference(Config, EXAMPLE)
    assert (
        "### `limits.mailchimp_connections`\n\nwhole number · allowed: 1 to 10 · default: `10`"
        in page
    )
    assert '### `zendesk.plan`\n\ntext · allowed: "team", "growth",' in page
    assert "### `zendesk.token`\n\nsecret · **required**" in page
    assert '### `schedule.stop_timeout`\n\nduration · default: `"30s"`' in page
    assert "### `rules.actions`\n\nlist of { field, value } · allowed: at least 1 item" in page


class _Extra(ConfigModel):
    knob: int = Field(default=5, ge=2, le=9)
    wait: Duration = 90
    mode: str | None = None


class _Bigger(Config):
    extra: _Extra = Field(default_factory=_Extra)


def test_a_section_added_to_the_model_and_the_example_appears() -> None:
    example = """\
# --- extras ---------------------------------------------------------------------------------
# What the extra section is for.

[extra]
# How far to turn it.
knob = 5
wait = "90s"
# The mode, when there is one.
# mode = "fast"
"""
    page = render_reference(_Bigger, example)
    assert "## `[extra]`\n\nEvery key has a default" in page
    assert "What the extra section is for." in page
    assert "### `extra.knob`\n\nwhole number · allowed: 2 to 9 · default: `5`\n\nHow far" in page
    # A key right after another shares its comment; a commented-out key has its own.
    assert '### `extra.wait`\n\nduration · default: `"90s"`\n\nHow far to turn it.' in page
    assert "### `extra.mode`\n\ntext · default: `none`\n\nThe mode, when there is one." in page
    assert "- [`[extra]`](#extra)" in page


def test_comments_attach_to_the_key_below_and_not_to_array_items() -> None:
    docs = example_docs(
        """\
[[lists]]
# Who is in it.
conditions.all = [
  { field = "tags", operator = "includes", value = "vip" },
]
# The name.
name = "VIP"
"""
    )
    assert docs.for_key(("lists", "conditions")) == ["Who is in it."]
    assert docs.for_key(("lists", "name")) == ["The name."]
    assert docs.for_table(("lists",)) == []
