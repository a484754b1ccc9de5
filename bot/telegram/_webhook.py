"""The webhook endpoint: Telegram posts updates to our own aiohttp server, which refuses a request
without the secret token (``X-Telegram-Bot-Api-Secret-Token``), answers 400 to a body that is not
JSON, drops an update it cannot read, and hands the rest to the PTB Application before answering,
so an update the process dies on is sent again.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.telegram._update_handler import TelegramApplication
from bot.telegram._updates import read_update

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    """Receives updates Telegram posts; refuses a request without the right secret token."""

    def __init__(
        self, application: TelegramApplication, *, secret: str, path: str, host: str, port: int
    ) -> None:
        self.application = application
        self.secret = secret.encode("utf-8")
        self.path = path or "/"
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def web_app(self) -> web.Application:
        server = web.Application()
        server.router.add_post(self.path, self.receive)
        return server

    async def receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook request without the right secret token refused")
            return web.Response(status=403)
        try:
            update = read_update((await request.read()).decode(), self.application.bot)
        except ValueError as error:  # not JSON: damaged on the way; a retry may do better
            log.warning("webhook request refused: %s", error)
            return web.Response(status=400)
        if isinstance(update, str):
            # Telegram would send it again and again (and hold back what follows meanwhile),
            # failing the same way each time: acknowledged and dropped.
            log.warning("an update that cannot be read was dropped: %s", update)
            return web.Response(status=200)
        # Handled before answering: if the process dies first, Telegram sends it again.
        await self.application.process_update(update)
        return web.Response(status=200)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("Telegram webhook listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
