"""Weibo's request signature: sha1 of the sorted, concatenated (app secret, timestamp, nonce)."""

from __future__ import annotations

import hashlib
import hmac


def sign(app_secret: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([app_secret, timestamp, nonce])).encode("utf-8")).hexdigest()


def verify(app_secret: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Constant-time check; a missing part or an unset secret never verifies."""
    if not (app_secret and signature and timestamp and nonce):
        return False
    return hmac.compare_digest(sign(app_secret, timestamp, nonce), signature.lower())
