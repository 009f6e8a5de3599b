"""A local stand-in of Weibo's reply and comment APIs, for tests and demos.

Weibo's servers cannot be reached from our machines, so the channel code is tested against this
server. It follows the shared reference `weibo-api.md` strictly (limits, parameters, error body
shape) so that a client bug shows up here rather than in production, and it can inject 5xx
answers, time-outs and slowness because those are what the client's retries are designed around.
The error-code table is unverified upstream; every code lives in the constants below.
"""

from __future__ import annotations

import argparse
import copy
import json
import socket
import sys
import threading
import time
from collections import deque
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from bot.weibo.api import (
    COMMENT_MAX_CHARS,
    COMMENT_REPLY,
    COMMENTS_MENTIONS,
    COMMENTS_TO_ME,
    DM_REPLY,
    DM_TEXT_LIMIT,
    E_REPEATED_CODE,
)

ROUTES = {DM_REPLY: "POST", COMMENTS_TO_ME: "GET", COMMENTS_MENTIONS: "GET", COMMENT_REPLY: "POST"}

ACCOUNT = {"id": 9000, "idstr": "9000", "screen_name": "云雀手机", "followers_count": 1_200_000, "verified": True}
FIRST_COMMENT_ID = 4_900_000_000_000_000  # realistic 16-digit ids, so clients must not truncate them
DEFAULT_COUNT, MAX_COUNT = 50, 200
SOURCE = '<a href="https://weibo.com/" rel="nofollow">微博 weibo.com</a>'

# (HTTP status, error, error_code): unverified upstream, so kept in one place.
E_NOT_FOUND = (404, "request api not found", 10020)
E_METHOD = (405, "HTTP method is not supported for this request", 10021)
E_TOKEN = (401, "invalid_access_token", 21332)
E_MISSING = (400, "miss required parameter", 10016)
E_INVALID = (400, "parameter value invalid", 10017)
E_TEXT_TOO_LONG = (400, "text too long", 20012)
E_NO_COMMENT = (400, "target comment does not exist", 20101)
E_REPEATED = (400, "repeated content", E_REPEATED_CODE)
DROP = 0  # handle()'s status for a call dropped without an answer (drop_next)
INJECTED_CODES = {429: 10023, 500: 10001, 502: 10003, 503: 10002, 504: 10003}

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def weibo_time(timestamp: float | None = None) -> str:
    """Format a time as Weibo does ("Mon Jul 16 18:09:20 +0800 2012"), independent of the locale."""
    t = time.gmtime((time.time() if timestamp is None else timestamp) + 8 * 3600)
    return (f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0800 {t.tm_year}")


class ApiError(Exception):
    """An answer in Weibo's documented error shape; raised by validation, caught by the dispatcher."""

    def __init__(self, kind: tuple[int, str, int], detail: str = "") -> None:
        self.status, error, self.code = kind
        self.error = f"{error}: {detail}" if detail else error
        super().__init__(self.error)

    def body(self) -> dict:
        return {"error": self.error, "error_code": self.code}


def _required(form: dict[str, str], name: str) -> str:
    if form.get(name, "") == "":
        raise ApiError(E_MISSING, name)
    return form[name]


def _int_param(form: dict[str, str], name: str, default: int | None = None, minimum: int = 0) -> int:
    """Parse an int64 parameter; Weibo ids are 64-bit, so anything else is a client bug."""
    raw = form.get(name, "")
    if raw == "":
        if default is None:
            raise ApiError(E_MISSING, name)
        return default
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) < 2**63:
        raise ApiError(E_INVALID, f"{name}={raw!r}")
    return int(raw)


def _flag(form: dict[str, str], name: str, default: int) -> int:
    raw = form.get(name, "")
    if raw not in ("", "0", "1"):
        raise ApiError(E_INVALID, f"{name}={raw!r} must be 0 or 1")
    return default if raw == "" else int(raw)


class _Server(ThreadingHTTPServer):
    """Keep-alive HTTP/1.1 with a real listen backlog, as a production API front end has.

    socketserver's default backlog of 5 made the kernel drop connection attempts when 20 replies
    went out at once, and each dropped SYN cost the client a 1-3 s retransmission: seconds of
    latency that belonged to the stand-in, not to the service under test.
    """

    request_queue_size = 256
    daemon_threads = True

    def __init__(self, address: tuple, standin: WeiboStandIn) -> None:
        super().__init__(address, _Handler)
        self.standin = standin
        self.connections: set = set()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client dropping its kept-alive connection is normal, not a traceback to print."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """A stopped API must not keep answering on connections it had open."""
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WeiboStandIn:
    """Serves Weibo's DM reply, comment feeds and comment reply APIs on a local port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, access_token: str = "test-token") -> None:
        self.host, self.port, self.access_token = host, port, access_token
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._next_id = FIRST_COMMENT_ID  # survives reset(), so a client's since_id never goes stale
        self.reset()

    def start(self) -> WeiboStandIn:
        """Bind and serve in a daemon thread, so a forgotten stop() cannot hang the test run."""
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            self._thread = threading.Thread(target=self._server.serve_forever, name="weibo-standin",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still sleeping in an injected delay are abandoned."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server, self._thread = None, None

    @property
    def base_url(self) -> str:
        """The URL to put in WEIBO_API_BASE; known only once start() has bound the port."""
        if self._server is None:
            raise RuntimeError("WeiboStandIn.base_url: call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget comments, calls and injected faults, so one server can serve many tests."""
        with self._lock:
            self._comments: dict[int, dict] = {}
            self._feeds: dict[str, list[int]] = {COMMENTS_TO_ME: [], COMMENTS_MENTIONS: []}
            self._last_reply: str | None = None
            self._received: list[dict] = []
            self._rejected: list[dict] = []
            self._fail: dict[str, deque[int]] = {}
            self._timeouts: dict[str, deque[float]] = {}
            self._drops: dict[str, deque[float]] = {}
            self._dropped: list[dict] = []
            self._slow: dict[str, float] = {}

    def add_comment(self, text: str, user_id: int = 1001, screen_name: str = "粉丝", post_id: int = 5000,
                    mentions: bool = False, created_at: str | None = None, followers_count: int = 10,
                    verified: bool = False) -> dict:
        """Add a fan's comment to the to_me feed (or the mentions feed) and return a copy of it."""
        user = {"id": user_id, "idstr": str(user_id), "screen_name": screen_name,
                "followers_count": followers_count, "verified": verified}
        with self._lock:
            comment = self._new_comment(text, user, post_id, created_at)
            self._feeds[COMMENTS_MENTIONS if mentions else COMMENTS_TO_ME].append(comment["id"])
            return copy.deepcopy(comment)

    def fail_next(self, path: str, status: int = 503, times: int = 1) -> None:
        """Answer the next `times` calls to `path` with `status` and an error body, before validation."""
        if not 400 <= status <= 599:
            raise ValueError(f"fail_next: status {status} is not an HTTP error status")
        with self._lock:
            self._fail.setdefault(_known(path), deque()).extend([status] * times)

    def timeout_next(self, path: str, times: int = 1, delay: float = 6.0) -> None:
        """Hold the next `times` calls for `delay` seconds, then answer normally.

        The delay outlives the client's time-out, so the client cannot know the call took effect:
        exactly the duplicate-send risk its retry logic has to handle.
        """
        with self._lock:
            self._timeouts.setdefault(_known(path), deque()).extend([delay] * times)

    def drop_next(self, path: str, times: int = 1, delay: float = 6.0) -> None:
        """Hold the next `times` calls for `delay` seconds, then close the connection without doing
        anything: a time-out *before* Weibo took the call (the client cannot tell it from one after)."""
        with self._lock:
            self._drops.setdefault(_known(path), deque()).extend([delay] * times)

    def slow(self, path: str, delay: float) -> None:
        """Delay every call to `path` by `delay` seconds (0 clears it)."""
        with self._lock:
            self._slow[_known(path)] = delay

    def received(self, path: str | None = None, start: int = 0) -> list[dict]:
        """Calls answered 2xx, in answer order: path, time, form (dict of str), json (DM `data`);
        `start` skips that many of them (a load test reads only what is new)."""
        if path is not None:
            _known(path)
        with self._lock:
            calls = [c for c in self._received if path is None or c["path"] == path]
            return [copy.deepcopy(c) for c in calls[start:]]

    def dropped(self) -> list[dict]:
        """Calls dropped without an answer (drop_next): they took no effect."""
        with self._lock:
            return copy.deepcopy(self._dropped)

    def rejected(self) -> list[dict]:
        """Calls answered 4xx/5xx (injected or not), with status, error and error_code."""
        with self._lock:
            return copy.deepcopy(self._rejected)

    def handle(self, method: str, path: str, form_text: str, form_error: str | None) -> tuple[int, dict]:
        """Route, inject faults, validate, answer and record one call; returns (status, body)."""
        try:  # a repeated parameter keeps its first value
            pairs = parse_qs(form_text, keep_blank_values=True, encoding="utf-8", errors="strict")
            form = {key: values[0] for key, values in pairs.items()}
        except UnicodeDecodeError:
            form, form_error = {}, "parameters are not UTF-8"
        if path not in ROUTES:
            return self._answer(path, form, ApiError(E_NOT_FOUND, path))
        if ROUTES[path] != method:
            return self._answer(path, form, ApiError(E_METHOD, f"{method} {path}"))
        with self._lock:
            drop = self._drops[path].popleft() if self._drops.get(path) else None
        if drop is not None:
            time.sleep(drop)
            with self._lock:
                self._dropped.append({"path": path, "time": time.time(), "form": dict(form)})
            return DROP, {}
        with self._lock:
            delay = self._slow.get(path, 0.0)
            failure = self._fail[path].popleft() if self._fail.get(path) else None
            if failure is None and self._timeouts.get(path):
                delay += self._timeouts[path].popleft()
        if delay > 0:
            time.sleep(delay)
        if failure is not None:
            phrase = next((s.phrase.lower() for s in HTTPStatus if s.value == failure), "error")
            return self._answer(path, form, ApiError((failure, phrase, INJECTED_CODES.get(failure, 10001))))
        if form_error:
            return self._answer(path, form, ApiError(E_INVALID, form_error))
        if form.get("access_token") != self.access_token:
            return self._answer(path, form, ApiError(E_TOKEN))
        endpoint: Callable[[dict[str, str]], dict] = {
            DM_REPLY: self._dm_reply, COMMENT_REPLY: self._comment_reply,
        }.get(path, lambda f: self._feed(path, f))
        return self._answer(path, form, None, endpoint)

    def _answer(self, path: str, form: dict[str, str], error: ApiError | None,
                endpoint: Callable[[dict[str, str]], dict] | None = None) -> tuple[int, dict]:
        """Run the endpoint and record the call under one lock, so state and log never disagree."""
        with self._lock:
            if error is None and endpoint is not None:
                try:
                    body = endpoint(form)
                except ApiError as exc:
                    error = exc
            try:  # DM replies are recorded with their `data` decoded, valid or not, for assertions
                decoded = json.loads(form["data"]) if path == DM_REPLY else None
            except (KeyError, ValueError):
                decoded = None
            entry: dict[str, Any] = {"path": path, "time": time.time(), "form": dict(form), "json": decoded}
            if error is None:
                self._received.append(entry)
                return 200, body
            entry.update(status=error.status, error=error.error, error_code=error.code)
            self._rejected.append(entry)
            return error.status, error.body()

    def _dm_reply(self, form: dict[str, str]) -> dict:
        msg_type = _required(form, "type")
        if msg_type not in ("text", "articles", "position"):
            raise ApiError(E_INVALID, f"type={msg_type!r} must be text, articles or position")
        receiver_id = _int_param(form, "receiver_id", minimum=1)
        _flag(form, "save_sender_box", 1)
        raw = _required(form, "data")
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(E_INVALID, "data is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(E_INVALID, "data must be a JSON object")
        if msg_type == "text":
            text = data.get("text")
            if not isinstance(text, str) or not text:
                raise ApiError(E_MISSING, "data.text")
            if len(text) >= DM_TEXT_LIMIT:
                raise ApiError(E_TEXT_TOO_LONG, f"{len(text)} characters, must be under {DM_TEXT_LIMIT}")
        return {"result": True, "sender_id": ACCOUNT["id"], "receiver_id": receiver_id,
                "type": msg_type, "data": raw}

    def _feed(self, path: str, form: dict[str, str]) -> dict:
        since_id = _int_param(form, "since_id", default=0)
        max_id = _int_param(form, "max_id", default=0)
        count = min(_int_param(form, "count", default=DEFAULT_COUNT, minimum=1), MAX_COUNT)
        page = _int_param(form, "page", default=1, minimum=1)
        newer = (i for i in self._feeds[path] if since_id < i and (max_id == 0 or i <= max_id))
        ids = sorted(newer, reverse=True)
        start = (page - 1) * count
        return {"comments": [self._comments[i] for i in ids[start:start + count]],
                "total_number": len(ids), "previous_cursor": 0, "next_cursor": 0}

    def _comment_reply(self, form: dict[str, str]) -> dict:
        cid = _int_param(form, "cid", minimum=1)
        post_id = _int_param(form, "id", minimum=1)
        text = _required(form, "comment")
        without_mention = _flag(form, "without_mention", 0)
        _flag(form, "comment_ori", 0)
        original = self._comments.get(cid)
        if original is None:
            raise ApiError(E_NO_COMMENT, f"cid={cid}")
        if original["status"]["id"] != post_id:
            raise ApiError(E_INVALID, f"id={post_id} is not the post of comment {cid}")
        if len(text) > COMMENT_MAX_CHARS:
            raise ApiError(E_TEXT_TOO_LONG, f"{len(text)} characters, at most {COMMENT_MAX_CHARS}")
        if text == self._last_reply:
            raise ApiError(E_REPEATED)
        prefix = "" if without_mention else f"回复@{original['user']['screen_name']}:"
        reply = self._new_comment(prefix + text, dict(ACCOUNT), post_id, None)
        reply["reply_comment"] = copy.deepcopy(original)
        self._last_reply = text
        return reply

    def _new_comment(self, text: str, user: dict, post_id: int, created_at: str | None) -> dict:
        self._next_id += 1
        cid = self._next_id
        comment = {"created_at": created_at or weibo_time(), "id": cid, "idstr": str(cid), "mid": str(cid),
                   "text": text, "source": SOURCE, "user": user,
                   "status": {"id": post_id, "idstr": str(post_id), "text": f"云雀手机官方微博 #{post_id}"}}
        self._comments[cid] = comment
        return comment


def _known(path: str) -> str:
    """Reject an unknown API path at once: a typo would otherwise make a fault injection silently idle."""
    if path not in ROUTES:
        raise ValueError(f"{path!r} is not a stand-in API path; use one of {sorted(ROUTES)}")
    return path


class _Handler(BaseHTTPRequestHandler):
    """Reads the request and writes the answer; all decisions are WeiboStandIn.handle's."""

    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries Content-Length

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.connections.discard(self.connection)  # type: ignore[attr-defined]
        super().finish()

    def _dispatch(self) -> None:
        method, parts = self.command, urlsplit(self.path)
        form_text, form_error = parts.query, None
        if method == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            content_type = self.headers.get("Content-Type", "")
            if body and not content_type.startswith("application/x-www-form-urlencoded"):
                form_error = f"body must be application/x-www-form-urlencoded, not {content_type!r}"
            try:
                form_text = "" if form_error else body.decode("utf-8")
            except UnicodeDecodeError:
                form_text, form_error = "", "body is not UTF-8"
        standin: WeiboStandIn = self.server.standin  # type: ignore[attr-defined]
        status, payload = standin.handle(method, parts.path, form_text, form_error)
        if status == DROP:
            self.close_connection = True  # no answer at all
            return
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except ConnectionError:
            pass  # the client gave up (time-out); the call has still taken effect, as on Weibo

    # Every method goes through _dispatch, so a wrong one gets Weibo's JSON 405 rather than a 501 page.
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log; received() and the CLI report calls instead."""


def main(argv: list[str] | None = None) -> int:
    """Run the stand-in in the foreground and print every call as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bot.weibo.standin", description=__doc__.splitlines()[0],
                                     epilog="example: python -m bot.weibo.standin --port 8900 --token demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--token", default="test-token", help="the access_token calls must carry")
    args = parser.parse_args(argv)
    standin = WeiboStandIn(args.host, args.port, args.token).start()
    print(f"Weibo stand-in at {standin.base_url} (WEIBO_API_BASE); Ctrl-C stops", flush=True)
    seen_ok = seen_bad = 0
    try:
        while True:
            time.sleep(0.2)
            ok, bad = standin.received(), standin.rejected()
            for call in sorted(ok[seen_ok:] + bad[seen_bad:], key=lambda c: c["time"]):
                print(json.dumps({"status": call.get("status", 200), **call}, ensure_ascii=False), flush=True)
            seen_ok, seen_bad = len(ok), len(bad)
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
