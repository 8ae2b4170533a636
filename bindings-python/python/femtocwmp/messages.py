"""A class for every CWMP message: ``femtocwmp.messages.SetParameterValues``,
``Inform``, ``Download``, ``Fault``... (one per method and response of CWMP 1.0-1.4, made
from the core's list at import, so none is missing).

They are :class:`~femtocwmp.Message` views with a keyword constructor that checks the
fields against the core, and ``__match_args__`` for ``match``::

    match env.body:
        case SetParameterValuesResponse(status=0):
            ...
        case Fault(fault_code=code):
            ...

Decoded bodies come back as these classes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from . import _femtocwmp
from ._message import BODY_CLASSES, Message, unwrap


class Body(Message):
    """A CWMP message body of one method (a subclass per method)."""

    __slots__ = ()
    method: ClassVar[str]
    fields: ClassVar[tuple]
    _defaults: ClassVar[dict]

    def __init__(self, **fields: Any) -> None:
        unknown = sorted(set(fields) - set(self.fields))
        if unknown:
            raise TypeError(f"{self.method} has no field {', '.join(unknown)}")
        data = {**self._defaults, **unwrap(fields), "method": self.method}
        object.__setattr__(self, "_data", _femtocwmp.validate_body(data))


_FAULT_DEFAULTS = {
    "method": "Fault",
    "faultcode": "Client",
    "faultstring": "CWMP fault",
    "fault_code": 9000,
    "fault_string": "",
    "set_parameter_values_fault": [],
}

__all__ = ["Body"]


def _make(name: str, defaults: dict) -> type:
    fields = tuple(k for k in defaults if k != "method")
    doc = f"The CWMP {name} message" + (f" (fields: {', '.join(fields)})." if fields else ".")
    cls = type(
        name,
        (Body,),
        {
            "__slots__": (),
            "__doc__": doc,
            "__module__": __name__,
            "__match_args__": fields,
            "method": name,
            "fields": fields,
            "_defaults": defaults,
        },
    )
    BODY_CLASSES[name] = cls
    globals()[name] = cls
    __all__.append(name)
    return cls


for _name, _defaults in _femtocwmp.method_defaults():
    _make(_name, _defaults)
_make("Fault", _FAULT_DEFAULTS)
