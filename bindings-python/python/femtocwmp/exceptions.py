"""Exceptions of femtocwmp (defined in Python so that they subclass, pickle and document
like any Python exception)."""

__all__ = [
    "CwmpError",
    "DecodeError",
    "ProtocolError",
    "LocalProtocolError",
    "RemoteProtocolError",
]


class CwmpError(Exception):
    """Base class of every femtocwmp error."""


class DecodeError(CwmpError, ValueError):
    """Bytes that are not a CWMP message we can read (the message says where and why)."""


class ProtocolError(CwmpError):
    """A CWMP session rule was broken."""


class LocalProtocolError(ProtocolError):
    """You (the caller) broke a session rule."""


class RemoteProtocolError(ProtocolError):
    """The peer broke a session rule."""
