"""Calls to Weibo's APIs (or the local stand-in at WEIBO_API_BASE).

Errors are split the way the delivery worker needs them: a time-out or 5xx may succeed later
(TransientError), any other failure will not (PermanentError).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import aiohttp

from bot.errors import BotError
from bot.weibo.api import COMMENT_REPLY, DM_REPLY


class TransientError(BotError):
    """Time-out or server error: worth retrying."""


class PermanentError(BotError):
    """Rejected by Weibo (4xx): retrying will not help."""


class WeiboClient:
    def __init__(self, base_url: str, access_token: str, timeout: float = 5.0) -> None:
        self._base = base_url.rstrip("/")
        self._token = access_token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
        session = await self._http()
        try:
            async with session.request(method, self._base + path, **kwargs) as response:
                body = await response.text()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"{path}: {type(exc).__name__} {exc}") from exc
        if status >= 500:
            raise TransientError(f"{path}: HTTP {status} {body[:200]}")
        if status >= 400:
            raise PermanentError(f"{path}: HTTP {status} {body[:200]}")
        try:
            return json.loads(body) if body else {}
        except json.JSONDecodeError as exc:
            raise TransientError(f"{path}: unreadable answer {body[:200]!r}") from exc

    async def send_dm(self, receiver_id: str, text: str) -> Dict[str, Any]:
        form = {"access_token": self._token, "type": "text", "receiver_id": str(receiver_id),
                "data": json.dumps({"text": text}, ensure_ascii=False), "save_sender_box": "1"}
        return await self._call("POST", DM_REPLY, data=form)

    async def reply_comment(self, comment_id: str, post_id: str, text: str) -> Dict[str, Any]:
        form = {"access_token": self._token, "cid": str(comment_id), "id": str(post_id), "comment": text,
                "without_mention": "0", "comment_ori": "0"}
        return await self._call("POST", COMMENT_REPLY, data=form)

    async def comments(self, path: str, since_id: int, count: int = 50, page: int = 1) -> List[Dict[str, Any]]:
        params = {"access_token": self._token, "since_id": str(since_id), "count": str(count), "page": str(page)}
        data = await self._call("GET", path, params=params)
        return list(data.get("comments") or [])
