"""Who is acting: a Slack user's name and locale (``users.info``), cached for a while."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.types import UserRef

log = logging.getLogger(__name__)
PLATFORM = "slack"


@dataclass(frozen=True)
class _Entry:
    user: UserRef
    until: float


class Users:
    """``users.info`` with ``include_locale`` (Slack leaves the locale out otherwise)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl_seconds: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self.monotonic = monotonic
        self._cache: dict[str, _Entry] = {}

    async def ref(self, user_id: str, name: str = "") -> UserRef:
        """The person as the handlers know them; without a locale if Slack cannot tell."""
        now = self.monotonic()
        cached = self._cache.get(user_id)
        if cached is not None and cached.until > now:
            return cached.user
        try:
            response = await self.client.users_info(user=user_id, include_locale=True)
        except (SlackApiError, SlackRequestError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info for %s failed: %r", user_id, error)
            return UserRef(PLATFORM, user_id, name)  # not cached: ask again next time
        data = response.get("user") or {}
        profile = data.get("profile") or {}
        real = profile.get("real_name") or data.get("real_name") or profile.get("display_name")
        user = UserRef(PLATFORM, user_id, str(real or data.get("name") or name), data.get("locale"))
        self._cache[user_id] = _Entry(user, now + self.ttl)
        return user
