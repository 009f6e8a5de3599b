"""The Prometheus endpoint of a server: the shared queue's state read at scrape time, the
counters of what it delivered, loop health, and an endpoint that is on loopback only."""

from __future__ import annotations

import asyncio
import socket

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.store import messages as box
from bot.store import queue
from bot.weibo.api import DM_REPLY
from bot.weibo.client import WeiboClient
from bot.weibo.metrics import PREFIX, ServiceMetrics
from bot.weibo.service import WeiboService
from tests.conftest import STANDIN_TOKEN
from tests.helpers import free_port

TOKEN = STANDIN_TOKEN


def _scrape(port: int) -> dict:
    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def _ticket(department: str) -> queue.NewTicket:
    return queue.NewTicket(channel="dm", fan_id="9", conversation_id=f"dm:{department}", department=department,
                           reason="out_of_scope", original_text="我要投诉", normalised_text="我要投诉")


def test_a_scrape_reports_the_queues_the_deliveries_and_the_loops(factory, standin):
    port = free_port()
    box.store_inbound(factory, box.Inbound("dm", "k1", "7", "7", "你好", {}))
    queue.submit(factory, _ticket("pr"))
    box.enqueue_reply(factory, "r1", {"channel": "dm", "receiver_id": "7", "text": "您好"})

    async def main() -> dict:
        service = WeiboService(factory, WeiboClient(standin.base_url, TOKEN), 60, False)
        service.heartbeats.register("process", 30)
        assert service.metrics.serve(port)
        try:
            await service.delivery.deliver_batch(box.claim_due(factory, 20, service.worker_id))
            return await asyncio.to_thread(_scrape, port)
        finally:
            service.metrics.close()
            await service.stop()

    seen = asyncio.run(main())
    assert len(standin.received(DM_REPLY)) == 1
    assert seen[(f"{PREFIX}_deliveries_total", (("channel", "dm"), ("result", "sent")))] == 1
    assert seen[(f"{PREFIX}_inbox_backlog", ())] == 1
    assert seen[(f"{PREFIX}_inbox_lag_seconds", ())] >= 0
    assert seen[(f"{PREFIX}_open_tickets", (("department", "pr"),))] == 1
    assert seen[(f"{PREFIX}_outbox_replies", (("status", "sent"),))] == 1
    assert seen[(f"{PREFIX}_loop_stale", (("loop", "process"),))] == 0
    assert seen[(f"{PREFIX}_comment_poller", ())] == 0
    assert seen[(f"{PREFIX}_database_up", ())] == 1


def test_the_endpoint_listens_on_loopback_only_and_a_taken_port_does_not_stop_the_server():
    port = free_port()
    first, second = ServiceMetrics(), ServiceMetrics()
    assert first.serve(port)
    try:
        assert second.serve(port) is False  # logged; the bot goes on answering
        outside = socket.gethostbyname(socket.gethostname())
        if not outside.startswith("127."):
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://{outside}:{port}/metrics", timeout=2)
    finally:
        first.close()
