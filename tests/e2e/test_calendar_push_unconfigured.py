"""Without MAILAGENT_GOOGLE_CALENDAR_PUSH_URL the calendar push address answers 501 with a sentence saying so (and
that calendars are polled meanwhile), whatever the headers: nothing is queued, nothing is looked up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.app import Api, make_app, make_settings

pytestmark = pytest.mark.e2e


def test_calendar_push_without_a_push_url_is_501_with_a_sentence(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    api = Api(app, settings)
    try:
        r = api.post(
            "/api/v1/calendar/push/google",
            headers={"X-Goog-Channel-ID": "c1", "X-Goog-Channel-Token": "t1", "X-Goog-Resource-State": "exists"},
        )
        assert r.status_code == 501, r.text
        message = r.json()["error"]["message"]
        assert "not configured" in message and "polled" in message
    finally:
        api.client.close()
