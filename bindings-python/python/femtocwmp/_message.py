"""Read-only message objects over the core's JSON form."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html import escape
from typing import Any

# method name -> its class (filled by femtocwmp.messages)
BODY_CLASSES: dict = {}


def wrap(value: Any) -> Any:
    if isinstance(value, dict):
        cls = BODY_CLASSES.get(value.get("method"), Message) if "method" in value else Message
        return cls._trusted(value)
    if isinstance(value, list):
        return tuple(wrap(v) for v in value)
    return value


def unwrap(value: Any) -> Any:
    if isinstance(value, Message):
        return value._data  # plain data, never mutated: no copy needed to read it
    if isinstance(value, (list, tuple)):
        return [unwrap(v) for v in value]
    if isinstance(value, Mapping):
        return {k: unwrap(v) for k, v in value.items()}
    return value


class Message:
    """A CWMP structure (a message body, a header, a struct inside one), read-only.

    Fields are attributes (``msg.parameter_list[0].name``); ``to_dict()`` gives the JSON form.
    """

    __slots__ = ("_data",)
    _data: dict

    def __init__(self, data: Mapping[str, Any] | None = None, **fields: Any) -> None:
        merged = dict(unwrap(data or {}))
        merged.update(unwrap(fields))
        object.__setattr__(self, "_data", merged)

    @classmethod
    def _trusted(cls, data: dict) -> Message:
        """A view of `data` without copying it: for plain data that nobody mutates (what
        decode returns, a part of another message)."""
        m = object.__new__(cls)
        object.__setattr__(m, "_data", data)
        return m

    def __getattr__(self, name: str) -> Any:
        try:
            return wrap(self._data[name])
        except KeyError:
            raise AttributeError(
                f"{self._data.get('method', 'message')} has no field {name!r}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("femtocwmp messages are immutable; build a new one")

    def __getitem__(self, name: str) -> Any:
        return wrap(self._data[name])

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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """A message from its JSON form; a body (with ``method``) is checked by the core and
        comes back as its method's class."""
        data = unwrap(data)
        if isinstance(data, Mapping) and "method" in data and data["method"] in BODY_CLASSES:
            from ._femtocwmp import validate_body

            return wrap(validate_body(dict(data)))
        return cls(data)

    def to_dict(self) -> dict:
        """The JSON form (a fresh copy)."""
        return unwrap(self._data)

    def _repr_html_(self) -> str:
        """A table for notebooks: parameter lists as name/type/value rows, faults in red."""
        return _html(self._data)

    def __repr__(self) -> str:
        data = dict(self._data)
        head = data.pop("method", None)
        inner = ", ".join(f"{k}={wrap(v)!r}" for k, v in data.items())
        return f"{head}({inner})" if head else f"Message({inner})"


_FAULT = ' style="color:#b00"'


def _html(value: Any) -> str:
    if isinstance(value, dict):
        fault = value.get("method") == "Fault" or "fault_code" in value and value["fault_code"]
        rows = []
        for key, v in value.items():
            if isinstance(v, list) and v and all(_is_param(p) for p in v):
                cell = _params(v)
            else:
                cell = _html(v)
            red = _FAULT if fault and key in ("method", "fault_code", "fault_string") else ""
            rows.append(f"<tr><th{red}>{escape(key)}</th><td{red}>{cell}</td></tr>")
        return "<table>" + "".join(rows) + "</table>"
    if isinstance(value, list):
        if not value:
            return "<i>none</i>"
        return "<ol>" + "".join(f"<li>{_html(v)}</li>" for v in value) + "</ol>"
    return escape(str(value))


def _is_param(p: Any) -> bool:
    return isinstance(p, dict) and "name" in p and "value" in p


def _params(params: list) -> str:
    head = "<tr><th>name</th><th>type</th><th>value</th></tr>"
    rows = "".join(
        f"<tr><td>{escape(str(p['name']))}</td><td>{escape(str(p.get('type', '')))}</td>"
        f"<td>{escape(str(p['value']))}</td></tr>"
        for p in params
    )
    return f"<table>{head}{rows}</table>"
