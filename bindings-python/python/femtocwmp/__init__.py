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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import _femtocwmp
from .exceptions import (
    CwmpError,
    DecodeError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)

__version__ = _femtocwmp.__version__

__all__ = [
    "CwmpError",
    "DecodeError",
    "Envelope",
    "LocalProtocolError",
    "Message",
    "ProtocolError",
    "RemoteProtocolError",
    "check",
    "decode",
    "encode",
    "event_codes",
    "fault_codes",
    "method_names",
]


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Message(value)
    if isinstance(value, list):
        return tuple(_wrap(v) for v in value)
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_unwrap(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


class Message:
    """A CWMP structure (a message body, a header, a struct inside one), read-only.

    Fields are attributes (``msg.parameter_list[0].name``); ``to_dict()`` gives the JSON form.
    """

    __slots__ = ("_data",)
    _data: dict

    def __init__(self, data: Mapping[str, Any] | None = None, **fields: Any) -> None:
        merged = dict(_unwrap(data or {}))
        merged.update(_unwrap(fields))
        object.__setattr__(self, "_data", merged)

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(
                f"{self._data.get('method', 'message')} has no field {name!r}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("femtocwmp messages are immutable; build a new one")

    def __getitem__(self, name: str) -> Any:
        return _wrap(self._data[name])

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and self._data == other._data

    def __hash__(self) -> int:
        return hash(repr(self))

    def __dir__(self) -> list:
        return sorted(set(super().__dir__()) | set(self._data))

    def to_dict(self) -> dict:
        """The JSON form (a fresh copy)."""
        return _unwrap(self._data)

    def __repr__(self) -> str:
        data = dict(self._data)
        head = data.pop("method", None)
        inner = ", ".join(f"{k}={_wrap(v)!r}" for k, v in data.items())
        return f"{head}({inner})" if head else f"Message({inner})"


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
            header=_unwrap(header or {}),
            body=_unwrap(body),
        )

    @property
    def warnings(self) -> tuple:
        return tuple(_wrap(w) for w in self._data.get("warnings", ()))

    def __repr__(self) -> str:
        return (
            f"Envelope(version={self._data.get('version')!r}, "
            f"header={_wrap(self._data.get('header', {}))!r}, "
            f"body={_wrap(self._data.get('body'))!r})"
        )


def decode(data: bytes, **limits: int) -> Envelope:
    """Decode one CWMP message (bytes of an HTTP body; empty bytes are the empty message).

    Keyword limits (``max_total_bytes``, ``max_depth``, ``max_elements``,
    ``max_string_len``, ``max_array_len``) tighten or loosen the defaults.
    Raises :class:`DecodeError` (a ``ValueError``) for what cannot be read.
    """
    return Envelope(_femtocwmp.decode(bytes(data), **limits))


def encode(envelope: Envelope | Mapping[str, Any]) -> bytes:
    """Encode an envelope (an :class:`Envelope` or its dict form) to XML bytes.

    The empty message encodes to ``b""``. Raises ``ValueError`` for a malformed envelope.
    """
    return _femtocwmp.encode(_unwrap(envelope))


def check(envelope: Envelope | Mapping[str, Any]) -> list:
    """The schema violations of an envelope as ``(path, message)`` pairs (empty: it validates)."""
    return _femtocwmp.check(_unwrap(envelope))


def method_names() -> list:
    """Every CWMP method and response name."""
    return _femtocwmp.method_names()


def fault_codes() -> list:
    """Every named fault code as ``(number, description)``."""
    return _femtocwmp.fault_codes()


def event_codes() -> list:
    """Every named event code."""
    return _femtocwmp.event_codes()
