"""The faster action-result validation accepts and rejects exactly what Rasa's own does; kept
action-server sessions reuse one connection and still send what Rasa sends."""

import asyncio

import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.weibo import rasa_speedups

ORIGINAL = RemoteAction._validate_action_result
ORIGINAL_SESSION = EndpointConfig.session

CASES = [
    {"events": [], "responses": [{"text": "您好"}]},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []},
    {},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": "not a list"},
    {"responses": [{"text": "hi"}], "events": [{"event": 5}]},
]


@pytest.mark.parametrize("result", CASES)
def test_same_verdict_and_message_as_rasa(result):
    action = RemoteAction("action_answer_faq", None)

    def verdict(fn):
        try:
            return fn(action, result), None
        except ValidationError as e:
            return False, e.message

    assert verdict(rasa_speedups._validate_action_result) == verdict(ORIGINAL)


@pytest.fixture
def installed():
    rasa_speedups.install()
    yield
    RemoteAction._validate_action_result = ORIGINAL
    EndpointConfig.session = ORIGINAL_SESSION
    rasa_speedups._original_session = None


def test_install_replaces_the_method(installed):
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result


async def _requests_seen(calls: int):
    """POST `calls` times through Rasa's EndpointConfig to a real local server; what it saw."""
    seen = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append((request.transport.get_extra_info("peername")[1], request.query.get("token"),
                     request.headers.get("X-Test"), await request.json()))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="t0k", headers={"X-Test": "yes"})
        answers = [await endpoint.request(json={"n": n}) for n in range(calls)]
        await rasa_speedups.close_sessions()
    finally:
        await runner.cleanup()
    return answers, seen


def test_rasa_opens_a_connection_per_action_call():
    answers, seen = asyncio.run(_requests_seen(3))
    assert len({port for port, *_ in seen}) == 3


def test_kept_session_reuses_one_connection_and_sends_the_same(installed):
    answers, seen = asyncio.run(_requests_seen(3))
    assert answers == [{"events": [], "responses": []}] * 3
    assert len({port for port, *_ in seen}) == 1
    assert [rest for _, *rest in seen] == [["t0k", "yes", {"n": n}] for n in range(3)]
