"""femtocwmp: TR-069 (CWMP) for femtocell management, sans-IO.

Decode a message, look at it, encode one::

    import femtocwmp
    env = femtocwmp.decode(xml_bytes)
    if env.body.method == "Inform":
        print(env.body.device_id.serial_number, [e.event_code for e in env.body.event])
    reply = femtocwmp.Envelope.new(env.version, {"method": "InformResponse", "max_envelopes": 1})
    xml = femtocwmp.encode(reply)

Messages use the core's JSON form: field names are the CWMP element names in snake_case,
the body carries its method name in ``method`` (see ``to_dict()``).

Threads: messages are immutable and may be shared freely. Sessions, :class:`Agent` and
:class:`Hems` may be used from any thread: each call holds the GIL from start to end, so
calls on one object never overlap and its state stays whole. The order of the calls is the
protocol, though (an input, then draining its outputs): keep them together with a lock when
several threads drive one object, as the examples do. :func:`decode` and :func:`encode`
release the GIL while they work on large messages. A :class:`Trace` stays on the thread that
made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _femtocwmp, messages
from ._femtocwmp import Trace, describe
from ._message import Message, unwrap, wrap
from .codes import EventCode, FaultCode
from .exceptions import (
    CwmpError,
    DecodeError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
from .procedures import (
    Agent,
    ConnectionRequest,
    Event,
    Hems,
    LoadDevice,
    Persist,
    Respond,
    StoreDevice,
    femtocell_model,
)
from .session import (
    IDLE,
    Accepted,
    Acceptor,
    AcsSession,
    AwaitingRequests,
    CpeRequest,
    CpeSession,
    Ended,
    Idle,
    Informed,
    Redirected,
    Request,
    Response,
    Timeout,
    Transmit,
    authorization_for,
    retry_wait_ms,
)

__version__ = _femtocwmp.__version__

__all__ = [
    "IDLE",
    "Agent",
    "ConnectionRequest",
    "Event",
    "Hems",
    "LoadDevice",
    "Persist",
    "Respond",
    "StoreDevice",
    "femtocell_model",
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
    "CwmpError",
    "DecodeError",
    "Envelope",
    "LocalProtocolError",
    "Message",
    "ProtocolError",
    "RemoteProtocolError",
    "EventCode",
    "FaultCode",
    "Trace",
    "messages",
    "check",
    "decode",
    "describe",
    "encode",
    "event_codes",
    "fault_codes",
    "method_names",
]


class Envelope(Message):
    """One CWMP message: ``version``, ``namespace``, ``header``, ``body`` and the decoder's
    ``warnings`` (what it had to interpret; empty for a clean message)."""

    __slots__ = ()

    @classmethod
    def new(
        cls,
        version: str,
        body: Message | Mapping[str, Any],
        *,
        header: Message | Mapping[str, Any] | None = None,
    ) -> Envelope:
        """An envelope of ``version`` ("1.0" ... "1.4") in that version's BBF namespace."""
        namespace = {"1.0": "cwmp-1-0", "1.1": "cwmp-1-1"}.get(version, "cwmp-1-2")
        return cls(
            version=version,
            namespace=f"urn:dslforum-org:{namespace}",
            header=unwrap(header or {}),
            body=unwrap(body),
        )

    @property
    def warnings(self) -> tuple:
        return tuple(wrap(w) for w in self._data.get("warnings", ()))

    def __repr__(self) -> str:
        return (
            f"Envelope(version={self._data.get('version')!r}, "
            f"header={wrap(self._data.get('header', {}))!r}, "
            f"body={wrap(self._data.get('body'))!r})"
        )


def decode(data: bytes, **limits: int) -> Envelope:
    """Decode one CWMP message (bytes of an HTTP body; empty bytes are the empty message).

    Keyword limits (``max_total_bytes``, ``max_depth``, ``max_elements``,
    ``max_string_len``, ``max_array_len``) tighten or loosen the defaults.
    Raises :class:`DecodeError` (a ``ValueError``) for what cannot be read.
    """
    return Envelope._trusted(_femtocwmp.decode(bytes(data), **limits))


def encode(envelope: Envelope | Mapping[str, Any]) -> bytes:
    """Encode an envelope (an :class:`Envelope` or its dict form) to XML bytes.

    The empty message encodes to ``b""``. Raises ``ValueError`` for a malformed envelope.
    """
    return _femtocwmp.encode(unwrap(envelope))


def check(envelope: Envelope | Mapping[str, Any]) -> list:
    """The schema violations of an envelope as ``(path, message)`` pairs (empty: it validates)."""
    return _femtocwmp.check(unwrap(envelope))


def method_names() -> list:
    """Every CWMP method and response name."""
    return _femtocwmp.method_names()


def fault_codes() -> list:
    """Every named fault code as ``(number, description)``."""
    return _femtocwmp.fault_codes()


def event_codes() -> list:
    """Every named event code."""
    return _femtocwmp.event_codes()
