"""The session machines: one CWMP session, HeNB side (:class:`CpeSession`) and HeMS side
(:class:`AcsSession`), sans-IO.

The drain rule: after every ``handle_*`` input and every command (``request``, ``respond``,
``queue``, ``finish``), call ``poll_output()`` until it returns a :class:`Timeout` or
:data:`IDLE` — or iterate ``drain()``, which does exactly that. Time is always an argument,
in milliseconds of your monotonic clock. Objects are not thread-safe: use one from one
thread at a time (concurrent use raises ``RuntimeError``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import _femtocwmp
from ._message import Message, unwrap, wrap

__all__ = [
    "IDLE",
    "Accepted",
    "Acceptor",
    "AcsSession",
    "AwaitingRequests",
    "CpeRequest",
    "CpeSession",
    "Ended",
    "Idle",
    "Informed",
    "Redirected",
    "Request",
    "Response",
    "Timeout",
    "Transmit",
    "authorization_for",
    "retry_wait_ms",
]


@dataclass(frozen=True)
class Transmit:
    """An HTTP message to send now: a POST to ``url`` (CPE side) or a response with
    ``status`` (ACS side)."""

    body: bytes
    headers: list
    url: str | None = None
    status: int | None = None


@dataclass(frozen=True)
class Timeout:
    """Nothing more now; call ``handle_timeout(now)`` once ``now >= at``."""

    at: int


class Idle:
    """Nothing more and no deadline: the session has ended."""

    _instance = None

    def __new__(cls) -> Idle:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "IDLE"


IDLE = Idle()


@dataclass(frozen=True)
class Informed:
    """The Inform was accepted (CPE side: the InformResponse arrived)."""

    version: str
    inform: Message | None = None


@dataclass(frozen=True)
class Request:
    """The ACS sent a request: answer it with ``CpeSession.respond(id, ...)``."""

    id: int
    body: Message


@dataclass(frozen=True)
class Response:
    """The peer answered our request ``id``; ``result`` is the response, or a body whose
    ``method`` is ``"Fault"``."""

    id: int
    result: Message

    @property
    def is_fault(self) -> bool:
        return self.result.method == "Fault"


@dataclass(frozen=True)
class CpeRequest:
    """The CPE sent a request; if not ``answered``, answer it with ``AcsSession.respond``."""

    id: int
    body: Message
    answered: bool


@dataclass(frozen=True)
class Redirected:
    """The HeMS redirected the session (it restarts with the Inform at ``url``)."""

    url: str


@dataclass(frozen=True)
class AwaitingRequests:
    """The CPE has nothing more to send and nothing is queued: ``queue`` or ``finish``."""


@dataclass(frozen=True)
class Ended:
    """The session ended; ``outcome.reason`` says why, and the outcome lists what was
    delivered and what must wait for the next session."""

    outcome: Message

    @property
    def success(self) -> bool:
        return self.outcome.reason == "Completed"


def _event(data: Any) -> Any:
    if isinstance(data, str):  # unit variants
        if data == "AwaitingRequests":
            return AwaitingRequests()
        raise ValueError(f"unknown event {data!r}")
    (kind, value), *_ = data.items()
    if kind == "Informed":
        inform = value.get("inform")
        return Informed(version=value["version"], inform=wrap(inform) if inform else None)
    if kind == "Request":
        return Request(id=value["id"], body=wrap(value["body"]))
    if kind == "Response":
        result = value["result"]
        body = result.get("Ok") if "Ok" in result else {"method": "Fault", **result["Err"]}
        return Response(id=value["id"], result=wrap(body))
    if kind == "CpeRequest":
        return CpeRequest(id=value["id"], body=wrap(value["body"]), answered=value["answered"])
    if kind == "Redirected":
        return Redirected(url=value["url"])
    if kind == "Ended":
        return Ended(outcome=wrap(value))
    raise ValueError(f"unknown event {kind!r}")


def _output(raw: tuple) -> Any:
    kind, value = raw
    if kind == "transmit":
        return Transmit(
            body=value["body"],
            headers=[tuple(h) for h in value["headers"]],
            url=value.get("url"),
            status=value.get("status"),
        )
    if kind == "event":
        return _event(value)
    if kind == "timeout":
        return Timeout(at=value)
    return IDLE


def _reply(reply: Message | Mapping[str, Any]) -> dict:
    return unwrap(reply)


class _Session:
    _inner: Any

    def poll_output(self) -> Any:
        """The next output: :class:`Transmit`, an event, :class:`Timeout` or :data:`IDLE`."""
        return _output(self._inner.poll_output())

    def drain(self) -> Iterator[Any]:
        """Every pending output, until (and without) the final ``Timeout``/``IDLE``."""
        while True:
            out = self.poll_output()
            if isinstance(out, (Timeout, Idle)):
                return
            yield out

    def handle_timeout(self, now: int) -> None:
        self._inner.handle_timeout(now)

    def handle_transport_failed(self, reason: str, now: int) -> None:
        self._inner.handle_transport_failed(reason, now)

    @property
    def version(self) -> str:
        return self._inner.version

    @property
    def is_ended(self) -> bool:
        return self._inner.is_ended

    def _facts(self) -> dict:
        return {"CWMP version": self.version, "state": "ended" if self.is_ended else "open"}

    def _repr_html_(self) -> str:
        """A small table for notebooks: what the session is and where it stands."""
        return _facts_table(type(self).__name__, self._facts())


def _facts_table(title: str, facts: dict) -> str:
    from html import escape

    rows = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in facts.items()
    )
    return f"<table><caption>{escape(title)}</caption>{rows}</table>"


class CpeSession(_Session):
    """The HeNB side of one session. The first output is the POST of the Inform.

    ``config`` keys: ``acs_url``, ``username``, ``password``, ``preemptive_basic``,
    ``supported_versions``, ``session_timeout_ms``, ``max_redirects``, ``rng_seed``.
    ``inform`` keys: ``device_id``, ``events``, ``parameter_list``, ``current_time``,
    ``retry_count``.
    """

    def __init__(self, config: Mapping[str, Any], inform: Mapping[str, Any], now: int) -> None:
        self._inner = _femtocwmp.CpeSession(unwrap(config), unwrap(inform), now)

    def handle_http_response(self, status: int, headers: list, body: bytes, now: int) -> None:
        self._inner.handle_http_response(status, list(headers), bytes(body), now)

    def request(self, body: Message | Mapping[str, Any]) -> int:
        """Queue a CPE request (TransferComplete...); returns its id."""
        return self._inner.request(unwrap(body))

    def respond(self, id: int, reply: Message | Mapping[str, Any], now: int) -> None:
        """Answer ACS request ``id`` with a response body or a ``{"method": "Fault"...}``."""
        self._inner.respond(id, _reply(reply), now)

    @property
    def url(self) -> str:
        return self._inner.url


class Accepted:
    """An Inform read by :meth:`Acceptor.accept`: look at it, then choose a configuration."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def inform(self) -> Message:
        return wrap(self._inner.inform())

    def into_session(self, config: Mapping[str, Any] | None = None) -> AcsSession:
        return AcsSession(self._inner.into_session(unwrap(config or {})))


class Acceptor:
    """Reads the first POST of a HeMS session, which must be an Inform."""

    @staticmethod
    def accept(headers: list, body: bytes, now: int) -> Accepted:
        return Accepted(_femtocwmp.accept(list(headers), bytes(body), now))


class AcsSession(_Session):
    """The HeMS side of one session (made by :meth:`Accepted.into_session`)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def handle_http_request(self, headers: list, body: bytes, now: int) -> None:
        self._inner.handle_http_request(list(headers), bytes(body), now)

    def handle_connection_closed(self, now: int) -> None:
        self._inner.handle_connection_closed(now)

    def queue(self, body: Message | Mapping[str, Any], now: int) -> int:
        """Queue an ACS request; returns its id."""
        return self._inner.queue(unwrap(body), now)

    def respond(self, id: int, reply: Message | Mapping[str, Any], now: int) -> None:
        self._inner.respond(id, _reply(reply), now)

    def finish(self, now: int) -> None:
        self._inner.finish(now)

    @property
    def cookie(self) -> str:
        return self._inner.cookie

    def to_json(self) -> str:
        """The session as JSON, to park it between two HTTP requests."""
        return self._inner.to_json()

    @classmethod
    def from_json(cls, json: str, config: Mapping[str, Any] | None = None) -> AcsSession:
        """Resume a parked session with its configuration."""
        return cls(_femtocwmp.AcsSession.from_json(json, unwrap(config or {})))


def authorization_for(
    www_authenticate: list[str], username: str, password: str, method: str, uri: str, cnonce: str
) -> str | None:
    """The ``Authorization`` value answering a 401's ``WWW-Authenticate`` values (Digest, the
    strongest algorithm offered; Basic when that is all), for ``method uri``: what a HeMS
    sends with a Connection Request (TR-069 3.2.2). ``cnonce`` should be fresh and random
    (``secrets.token_hex()``). ``None`` when nothing usable is offered."""
    return _femtocwmp.authorization_for(
        list(www_authenticate), username, password, method, uri, cnonce
    )


def retry_wait_ms(
    attempt: int, seed: int, min_wait_s: int = 5, multiplier_permille: int = 2000
) -> int:
    """TR-069 3.2.1.1 wait before retry ``attempt`` (1-based), in milliseconds."""
    return _femtocwmp.retry_wait_ms(attempt, seed, min_wait_s, multiplier_permille)
