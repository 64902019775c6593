"""`deskbridge demo`: the embedded sandbox read through the real clients, then stopped."""

from __future__ import annotations

import pytest

from jobs.demo import run_demo


def test_demo_reads_all_three_services_and_stops_the_sandbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo points zenpy at the sandbox through the environment; restore it afterwards.
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "https")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", "unused.invalid")
    assert run_demo(users=300, seed=3) == 0
    out = capsys.readouterr().out
    assert "users (all roles, incl. deleted)" in out and "300" in out
    assert "Mailchimp ping: Everything's Chimpy!" in out
    assert "audience 'Retail Customers'" in out
    assert "SurveyMonkey survey 'Customer Satisfaction Survey'" in out
    assert "API calls made" in out
    assert out.rstrip().endswith("sandbox stopped")
