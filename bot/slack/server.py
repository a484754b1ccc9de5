"""Receiving from Slack: Socket Mode when an app-level token is set, else HTTP on ``/slack/events``.

HTTP requests are checked before anything else: ``v0=`` + HMAC-SHA256 over
``v0:{timestamp}:{raw body}`` with the signing secret, and a timestamp at most five minutes old;
anything else is answered 401 and never parsed. (bolt checks the signature again; that is
cheap.) A signed body that is not a Slack payload bolt and the listeners can read (see
:mod:`bot.slack.payloads`) is answered 400. A request Slack retries (``X-Slack-Retry-Num``)
is handled like any other: the handlers see its ``event_id`` once, since the first delivery
may never have arrived.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.app import BotApp
from bot.settings import Settings
from bot.slack.adapter import SlackAdapter
from bot.slack.payloads import shape_problem

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
MAX_AGE = 5 * 60  # seconds; older requests may be replays


def verify(secret: str, body: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's request signature: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``, fresh."""
    # isdigit alone takes "\u00b2" (superscript two), which int() refuses.
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _read(raw: bytes, request: web.Request) -> tuple[AsyncBoltRequest | None, str | None]:
    """The signed body as bolt's request, read once; or what is wrong with it."""
    try:
        body = raw.decode("utf-8")
    except ValueError:
        return None, "the body is not UTF-8"
    try:
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
    except (ValueError, RecursionError) as error:
        return None, f"unreadable body ({type(error).__name__})"
    except Exception as error:  # bolt reading its context out of a body of another shape
        return None, f"the body does not fit ({type(error).__name__})"
    return bolt_request, shape_problem(bolt_request.body)


# What Slack answers for a token that will never work (wrong, revoked, of the wrong kind).
REFUSED_TOKEN = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "not_allowed_token_type",
}


class SlackConfigError(RuntimeError):
    """The settings cannot run Slack (a token or the signing secret is missing)."""


def check_settings(settings: Settings) -> None:
    """Refuse settings that cannot run Slack, before anything starts."""
    if not settings.slack_bot_token:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise SlackConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)"
        )


class SlackService:
    """The adapter plus whichever way Slack's payloads arrive; ``start``/``stop`` in the loop."""

    def __init__(
        self,
        app: BotApp,
        *,
        bot_token: str,
        signing_secret: str | None = None,
        app_token: str | None = None,
        api_url: str | None = None,
    ) -> None:
        if not app_token and not signing_secret:
            raise SlackConfigError(
                "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        self.adapter = SlackAdapter(
            app,
            bot_token=bot_token,
            signing_secret=signing_secret,
            api_url=api_url,
            # Over HTTP, Slack hears back only once the event is handled: a process killed
            # mid-way leaves it unanswered, so Slack retries an event (handled once by its
            # id) and shows a command's sender an error, instead of the report going missing.
            answer_after_handling=not app_token,
        )
        self.app_token = app_token
        self.signing_secret = signing_secret or None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None

    @classmethod
    def from_settings(cls, app: BotApp, settings: Settings) -> SlackService:
        check_settings(settings)
        assert settings.slack_bot_token is not None
        return cls(
            app,
            bot_token=settings.slack_bot_token,
            signing_secret=settings.slack_signing_secret,
            app_token=settings.slack_app_token,
            api_url=settings.slack_api_url,
        )

    # -- HTTP mode -------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The HTTP route, to mount on another aiohttp application if one serves already."""
        return [web.post(EVENTS_PATH, self.handle_http)]

    async def handle_http(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if self.signing_secret is None or not verify(
            self.signing_secret,
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
            time.time(),
        ):
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request, found = _read(raw, request)
        if bolt_request is None or found is not None:
            log.warning("a signed Slack request refused: %s", found)
            return web.json_response({"error": "unreadable request"}, status=400)
        response = await self.adapter.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    def web_app(self) -> web.Application:
        application = web.Application()
        application.add_routes(self.routes())
        return application

    # -- life cycle ------------------------------------------------------------------------------

    async def start(self, *, host: str = "0.0.0.0", port: int = 3000) -> list[str]:
        """Connect (Socket Mode) or listen (HTTP); the addresses listened on, if any."""
        await self.adapter.connect()
        await self._check_tokens()
        if self.app_token:
            self._socket = AsyncSocketModeHandler(
                self.adapter.bolt, self.app_token, web_client=self.adapter.client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: connected in Socket Mode")
            return []
        self._runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        addresses = [f"http://{a[0]}:{a[1]}" for a in self._runner.addresses]
        log.info("Slack: listening on %s%s", ", ".join(addresses), EVENTS_PATH)
        return addresses

    async def _check_tokens(self) -> None:
        """A token Slack refuses is a configuration error, not something to retry for ever (as
        Socket Mode would). Slack out of reach is not: the bot starts and Slack catches up."""
        client = self.adapter.client
        checks: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("SLACK_BOT_TOKEN", client.auth_test)
        ]
        if self.app_token:
            app_token = self.app_token
            checks.append(
                ("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=app_token))
            )
        for name, call in checks:
            try:
                await call()
            except SlackApiError as error:
                code = str(error.response.get("error", ""))
                if code in REFUSED_TOKEN:
                    raise SlackConfigError(f"Slack refuses {name}: {code}") from error
                log.warning("Slack: checking %s gave %s; starting anyway", name, code)
            except (aiohttp.ClientError, TimeoutError, SlackRequestError) as error:
                log.warning("Slack not reachable to check %s (%s); starting anyway", name, error)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking payloads, then let the listeners at work finish."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        try:
            await self.adapter.settle(timeout)
        except TimeoutError:
            log.warning("Slack listeners still busy after %s s; stopping anyway", timeout)
        await self.adapter.disconnect()


async def run_slack(
    app: BotApp, settings: Settings, *, started: Callable[[], None] | None = None
) -> None:
    """Run the Slack side of the bot until cancelled (``slabot run`` starts it with the app).

    Adds the Slack transport to ``app`` (so the outbox can send), then receives in Socket Mode
    when ``SLACK_APP_TOKEN`` is set, else over HTTP on ``SLACK_HTTP_HOST:SLACK_HTTP_PORT``;
    ``started`` is called once it does. A failed start (the port taken) closes what it opened.
    """
    service = SlackService.from_settings(app, settings)
    try:
        await service.start(host=settings.slack_http_host, port=settings.slack_http_port)
        if started is not None:
            started()
        await asyncio.Event().wait()
    finally:
        await service.stop()
