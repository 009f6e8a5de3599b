"""Calls to Weibo's APIs (or the local stand-in at WEIBO_API_BASE).

Errors are split the way the delivery worker needs them:

| what happened | error | the worker |
| --- | --- | --- |
| no connection (refused, DNS, connect time-out), or HTTP 5xx | TransientError | retries with backoff |
| a reply was sent and no answer came (read time-out, dropped connection) | UncertainError | never resends: a human checks |
| HTTP 4xx | PermanentError | gives up: a human takes it |
| HTTP 4xx "repeated content" (a comment identical to the previous one) | RepeatedError | sends a variant |

Reads (the comment feeds) change nothing, so any failure of theirs is transient.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import aiohttp

from bot.errors import BotError
from bot.weibo.api import COMMENT_REPLY, DM_REPLY, E_REPEATED_CODE


class TransientError(BotError):
    """Time-out or server error: worth retrying."""


class PermanentError(BotError):
    """Rejected by Weibo (4xx): retrying will not help."""


class RepeatedError(PermanentError):
    """Weibo refused a comment identical to the account's previous one: a variant will pass."""


class UncertainError(BotError):
    """The request went out and no answer came back: Weibo may have taken it, so it is not resent."""


def _error_code(body: str) -> int | None:
    """Weibo's `error_code` from an error body, if it has the documented shape."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None
    code = data.get("error_code") if isinstance(data, dict) else None
    return code if isinstance(code, int) else None


def _never_sent(exc: BaseException) -> bool:
    """The request cannot have reached Weibo: no connection was made."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return True
    return isinstance(exc, aiohttp.ServerTimeoutError) and str(exc).startswith("Connection timeout")


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
            # Only the message kind and the path: the form and query hold the access token.
            what = f"{path}: {type(exc).__name__}"
            if method == "GET" or _never_sent(exc):
                raise TransientError(what) from exc
            raise UncertainError(f"{what} after the request was sent; Weibo may have accepted it") from exc
        if status >= 500:
            raise TransientError(f"{path}: HTTP {status} {body[:200]}")
        if status >= 400:
            error = RepeatedError if _error_code(body) == E_REPEATED_CODE else PermanentError
            raise error(f"{path}: HTTP {status} {body[:200]}")
        try:
            return json.loads(body) if body else {}
        except json.JSONDecodeError as exc:
            if method == "GET":
                raise TransientError(f"{path}: unreadable answer {body[:200]!r}") from exc
            raise UncertainError(f"{path}: HTTP {status} with an unreadable answer {body[:200]!r}") from exc

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
