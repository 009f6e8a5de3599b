"""Two targeted fixes to Rasa 3.6's server hot path, installed when the Weibo channel starts.

1. `RemoteAction._validate_action_result` calls `jsonschema.validate`, which re-checks the schema
   itself on every call: measured here at about 40 ms of the ~60 ms Rasa spent per message, which
   capped the live service near 18 messages per second. The replacement validates against the
   same schema with a validator built once; results and error messages are unchanged.
2. `EndpointConfig.request` opens a new aiohttp session, so a new TCP connection, for every call
   to the action server (under load, setting it up was a third of the time Rasa spent calling
   the action server, by py-spy). Sessions are kept per endpoint and event loop instead, with
   the same headers, auth and time-out, and closed by `close_sessions()` when the server stops.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any, Dict, Tuple


@lru_cache(maxsize=1)
def _validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, instead of on every action call
    return cls(schema)


def _validate_action_result(self, result: Dict[str, Any]) -> bool:
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        error = best_match(_validator().iter_errors(result))  # what jsonschema.validate reports
        if error is not None:
            raise error
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            f"the Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


class _KeptSession:
    """What `async with endpoint.session()` gets: the kept session, left open on exit."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


_sessions: Dict[Tuple[int, int], Any] = {}
_original_session = None  # EndpointConfig.session before install()


def _kept_session(self) -> _KeptSession:  # noqa: ANN001 (an EndpointConfig)
    key = (id(self), id(asyncio.get_running_loop()))
    session = _sessions.get(key)
    if session is None or session.closed:
        session = _sessions[key] = _original_session(self)
    return _KeptSession(session)


async def close_sessions() -> None:
    for session in list(_sessions.values()):
        await session.close()
    _sessions.clear()


def install() -> None:
    """Replace the slow validation and the per-call sessions (idempotent)."""
    global _original_session
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    RemoteAction._validate_action_result = _validate_action_result
    if _original_session is None:
        _original_session = EndpointConfig.session
        EndpointConfig.session = _kept_session
