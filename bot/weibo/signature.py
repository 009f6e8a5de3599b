"""Weibo's request signature: sha1 of the sorted, concatenated (app secret, timestamp, nonce)."""

from __future__ import annotations

import hashlib
import hmac
import time

from bot.weibo.api import PUSH_MAX_AGE_SECONDS


def sign(app_secret: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([app_secret, timestamp, nonce])).encode("utf-8")).hexdigest()


def verify(app_secret: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Constant-time check; a missing part or an unset secret never verifies."""
    if not (app_secret and signature and timestamp and nonce):
        return False
    return hmac.compare_digest(sign(app_secret, timestamp, nonce), signature.lower())


def fresh(timestamp: str, now: float | None = None, max_age: float = PUSH_MAX_AGE_SECONDS) -> bool:
    """Is the signed timestamp within `max_age` seconds of now? Weibo's test vector is in
    milliseconds (13 digits); seconds are accepted too."""
    try:
        value = float(timestamp)
    except (TypeError, ValueError):
        return False
    seconds = value / 1000 if value > 1e11 else value
    return abs((time.time() if now is None else now) - seconds) <= max_age
