"""Rasa input channel `weibo`: Weibo's URL check and signed DM pushes at /webhooks/weibo/webhook.

A push is verified, validated and stored before the answer goes back (an empty body within
Weibo's 5-second window stops its retries); the reply is sent later through the outbox.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import Settings
from bot.weibo.api import INPUT_CHANNEL
from bot.weibo.signature import fresh, verify

log = logging.getLogger(__name__)
REQUIRED_PUSH_FIELDS = ("type", "receiver_id", "sender_id", "created_at")


def validate_push(raw: bytes) -> Dict[str, Any]:
    """The push body as a dict, or ValueError saying what is wrong with it."""
    try:
        body = json.loads(raw or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    missing = [f for f in REQUIRED_PUSH_FIELDS if body.get(f) in (None, "")]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    for field in ("receiver_id", "sender_id"):
        if not str(body[field]).isdigit():
            raise ValueError(f"{field} must be an int64 id")
    if body["type"] == "text" and not isinstance(body.get("text"), str):
        raise ValueError("a text push needs a string `text`")
    if body.get("data") is not None and not isinstance(body["data"], dict):
        raise ValueError("`data` must be a JSON object")
    return body


def health_report(service: Any) -> Tuple[Dict[str, Any], int]:
    """The health check's body and status: 503 while warming up (pushes are already stored, but a
    load balancer should wait) and when a background loop has not completed a pass in time (it is
    stuck or keeps failing)."""
    loops = service.heartbeats.report()
    if not service.ready:
        return {"status": "starting", "loops": loops}, 503
    stale = service.heartbeats.stale()
    if stale:
        return {"status": "stale", "stale_loops": stale, "loops": loops}, 503
    return {"status": "ok", "worker": service.worker_id, "loops": loops}, 200


class WeiboInput(InputChannel):
    """Weibo fan service platform, developer mode."""

    def __init__(self, settings: Settings, poll_comments: bool = True) -> None:
        self.settings = settings
        self.poll_comments = poll_comments
        self.service = None

    @classmethod
    def name(cls) -> str:
        return INPUT_CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> WeiboInput:
        credentials = credentials or {}
        return cls(Settings.from_env(), poll_comments=bool(credentials.get("poll_comments", True)))

    def _refusal(self, request: Request) -> HTTPResponse | None:
        """403 unless Weibo signed the request and signed it recently. A replay inside the window
        is Weibo's own retry: the push's dedupe key stores it once."""
        args = request.args
        timestamp = args.get("timestamp", "")
        if not verify(self.settings.weibo_app_secret, args.get("signature", ""), timestamp, args.get("nonce", "")):
            return response.text("signature mismatch", status=403)
        if not fresh(timestamp):
            return response.text("stale timestamp: a signed request is valid for 5 minutes", status=403)
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from bot.store.db import make_engine, make_session_factory, migrate
        from bot.weibo import rasa_speedups
        from bot.weibo.actions_call import RULES_FILE, ActionCaller, rule_actions
        from bot.weibo.client import WeiboClient
        from bot.weibo.service import DECIDE_TIMEOUT_SECONDS, WeiboService
        from bot.weibo.variants import FILE_NAME as LEAD_INS_FILE

        rasa_speedups.install()

        migrate(self.settings.database_url)
        factory = make_session_factory(make_engine(self.settings.database_url))
        client = WeiboClient(self.settings.weibo_api_base, self.settings.weibo_access_token)
        actions = ActionCaller(f"http://127.0.0.1:{self.settings.actions_port}/webhook",
                               rule_actions(self.settings.faq_dir.parent / RULES_FILE), INPUT_CHANNEL,
                               timeout=DECIDE_TIMEOUT_SECONDS)
        self.service = service = WeiboService(factory, client, self.settings.weibo_poll_seconds, self.poll_comments,
                                              self.settings.weibo_backfill_hours,
                                              lead_ins=self.settings.faq_dir / LEAD_INS_FILE, actions=actions)
        hook = Blueprint("weibo_webhook", __name__)

        @hook.listener("after_server_start")
        async def _start(app, loop) -> None:  # noqa: ANN001
            from bot.nlu.parser import parse_dicts

            # The agent is looked up per batch: Rasa replaces it when a new model is loaded.
            await service.start(on_new_message, lambda texts: parse_dicts(app.ctx.agent, texts))
            if self.settings.metrics_port:
                service.metrics.serve(self.settings.metrics_port)

        @hook.listener("before_server_stop")
        async def _stop(app, loop) -> None:  # noqa: ANN001
            await service.stop()
            service.metrics.close()
            await rasa_speedups.close_sessions()

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            body, status = health_report(service)
            return response.json(body, status=status)

        @hook.route("/webhook", methods=["GET"])
        async def url_check(request: Request) -> HTTPResponse:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            return response.text(request.args.get("echostr", ""))

        @hook.route("/webhook", methods=["POST"])
        async def push(request: Request) -> HTTPResponse:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            try:
                body = validate_push(request.body)
            except ValueError as exc:
                return response.text(f"bad push: {exc}", status=400)
            result = await service.accept_push(body)
            log.debug("push from %s: %s", body.get("sender_id"), result)
            return response.text("")

        return hook
