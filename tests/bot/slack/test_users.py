"""users.info: locale asked for, cached, and a failure never stops the conversation."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.users import Users
from tests.bot.slack.fake_slack import TOKEN, Failure, FakeSlack


async def test_locale_is_asked_for_and_cached(fake: FakeSlack) -> None:
    """The locale comes with include_locale; a second lookup within the TTL costs no call."""
    fake.users["UKARL"] = ("Karl Becker", "de-DE")
    clock = [0.0]
    users = Users(
        AsyncWebClient(token=TOKEN, base_url=fake.base + "/api/"), monotonic=lambda: clock[0]
    )
    karl = await users.ref("UKARL")
    assert (karl.locale, karl.name, karl.platform) == ("de-DE", "Karl Becker", "slack")
    await users.ref("UKARL")
    assert len(fake.to("users.info")) == 1
    clock[0] = 7200.0
    await users.ref("UKARL")
    assert len(fake.to("users.info")) == 2


async def test_unknown_user_has_no_locale_and_is_asked_again(fake: FakeSlack) -> None:
    """When Slack cannot tell, the handlers get the id (and fall back to their defaults)."""
    fake.fail("users.info", Failure(status=500, error="internal_error"))
    users = Users(AsyncWebClient(token=TOKEN, base_url=fake.base + "/api/", retry_handlers=[]))
    nobody = await users.ref("UNOBODY", "nobody")
    assert (nobody.id, nobody.name, nobody.locale) == ("UNOBODY", "nobody", None)
    await users.ref("UNOBODY")
    assert len(fake.to("users.info")) == 2
