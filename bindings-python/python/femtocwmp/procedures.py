"""The TS 32.593 procedure layer: :class:`Hems` (HeMS side: per-device procedure queues
across sessions) and :class:`Agent` (HeNB side: data model, retained events, transfers, the
IPsec address change), sans-IO like the sessions — drain ``poll_output()`` (or ``drain()``)
after every input and command.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import _femtocwmp
from ._message import Message, unwrap, wrap
from .session import IDLE, Idle, Timeout, _facts_table, _output

__all__ = [
    "Agent",
    "ConnectionRequest",
    "Event",
    "Hems",
    "LoadDevice",
    "Respond",
    "StoreDevice",
    "femtocell_model",
]


@dataclass(frozen=True)
class Event:
    """An agent or HeMS event: ``kind`` (``"DownloadRequested"``, ``"ProcedureFinished"``,
    ``"IpsecAddressChanged"``...) and its fields in ``data``."""

    kind: str
    data: Message


@dataclass(frozen=True)
class Respond:
    """Send this HTTP response on connection ``conn``."""

    conn: int
    status: int
    headers: list
    body: bytes


@dataclass(frozen=True)
class ConnectionRequest:
    """Ask ``device`` for a session: HTTP GET to ``url`` with Digest credentials."""

    device: str
    url: str
    username: str
    password: str


@dataclass(frozen=True)
class LoadDevice:
    """(external store) Load ``device``'s record and call ``Hems.provide_device(conn, ...)``."""

    conn: int
    device: str


@dataclass(frozen=True)
class Persist:
    """(``persist_changes``) Write this change of ``device``'s record and its ``events`` to
    your store in one transaction, and finish before acting on any output that follows (the
    response that follows may acknowledge it); then publish the events. If the write fails,
    answer 503 and close the connection instead. ``change``: ``{"record": {...},
    "parameters": [[name, value], ...]}`` (only the parameters with a new value)."""

    device: str
    change: dict
    events: list[Event]


@dataclass(frozen=True)
class StoreDevice:
    """(external store) A session ended: store this record."""

    device: str
    record: dict


def _event(data: Any) -> Event:
    if isinstance(data, str):
        return Event(kind=data, data=Message({}))
    (kind, value), *_ = data.items()
    if not isinstance(value, dict):
        value = {"value": value}
    return Event(kind=kind, data=wrap(value))


def femtocell_model(info: Mapping[str, Any]) -> dict:
    """The default HeNB data model (TR-181 + TR-262 tunnel + TR-196 LTE subset).

    ``info``: ``device_id``, ``acs_url``, ``connection_request_url``, ``software_version``,
    ``ipsec_address``; optionally ``username``/``password`` (for the HeMS's authentication)
    and ``connection_request_username``/``connection_request_password`` (without a password,
    one derived from the description: no secret, give a random one in production).
    """
    return _femtocwmp.femtocell_model(unwrap(info))


class Agent:
    """The HeNB agent. ``config``: ``device_id`` (and optionally ``session``, ``rng_seed``,
    ``ipsec_address_param``); ``model``: a data model (e.g. :func:`femtocell_model`)."""

    def __init__(self, config: Mapping[str, Any], model: Mapping[str, Any], now: int) -> None:
        self._inner = _femtocwmp.Agent(unwrap(config), unwrap(model), now)

    @classmethod
    def restore(cls, snapshot: str, rebooted: bool, now: int) -> Agent:
        """Resume from :meth:`snapshot`; ``rebooted`` announces "1 BOOT"."""
        a = cls.__new__(cls)
        a._inner = _femtocwmp.Agent.restore(snapshot, rebooted, now)
        return a

    def snapshot(self) -> str:
        """JSON of everything that must survive a restart."""
        return self._inner.snapshot()

    def model(self) -> dict:
        return self._inner.model()

    def value(self, name: str) -> str | None:
        """A parameter's value text."""
        return self._inner.value(name)

    @property
    def in_session(self) -> bool:
        return self._inner.in_session

    def _repr_html_(self) -> str:
        """A small table for notebooks: the device and where it stands."""
        facts = {
            "device": self.value("Device.DeviceInfo.SerialNumber"),
            "HeMS": self.value("Device.ManagementServer.URL"),
            "software": self.value("Device.DeviceInfo.SoftwareVersion"),
            "IPsec inner address": self.value("Device.FAP.Tunnel.IKESA.1.IPAddress"),
            "in a session": self.in_session,
        }
        return _facts_table("Agent", facts)

    def poll_output(self) -> Any:
        """The next output. With ``"persist_state": True`` in the config, an
        ``Event(kind="PersistState")`` whose ``data.snapshot`` is the JSON text
        :meth:`restore` reads comes before any POST or action that follows a change of
        state: write it to storage first."""
        raw = self._inner.poll_output()
        if raw[0] == "event":
            persist = raw[1].get("PersistState") if isinstance(raw[1], dict) else None
            if persist is not None:
                snapshot = json.dumps(persist["snapshot"])
                return Event(kind="PersistState", data=wrap({"snapshot": snapshot}))
            return _event(raw[1])
        return _output(raw)

    def drain(self) -> Iterator[Any]:
        while True:
            out = self.poll_output()
            if isinstance(out, (Timeout, Idle)):
                return
            yield out

    def handle_http_response(self, status: int, headers: list, body: bytes, now: int) -> None:
        self._inner.handle_http_response(status, list(headers), bytes(body), now)

    def handle_transport_failed(self, reason: str, now: int) -> None:
        self._inner.handle_transport_failed(reason, now)

    def handle_timeout(self, now: int) -> None:
        self._inner.handle_timeout(now)

    def download_finished(
        self,
        command_key: str,
        data: bytes | None,
        now: int,
        fault_code: int | None = None,
        fault_string: str | None = None,
    ) -> None:
        """The file of a Download was fetched (``data``) or not (``fault_code``, e.g. 9015)."""
        self._inner.download_finished(command_key, data, now, fault_code, fault_string)

    def set_ipsec_address(self, address: str, now: int) -> None:
        """TS 32.593 5.1.4: the inner IPsec address changed."""
        self._inner.set_ipsec_address(address, now)

    def parameter_changed_internally(self, name: str, value: str, now: int) -> None:
        self._inner.parameter_changed_internally(name, value, now)

    def connection_request(self, now: int) -> None:
        """A Connection Request was validated: a session follows."""
        self._inner.connection_request(now)

    def handle_connection_request(self, method: str, headers: list, now: int) -> tuple:
        """Check and answer a Connection Request: ``(status, headers)`` to send back."""
        return self._inner.handle_connection_request(method, list(headers), now)


class Hems:
    """The HeMS procedure layer. ``config`` keys: ``session`` (an AcsConfig), ``auth`` (who
    may speak for which device: ``{"policy": {"Devices": {"scheme": "Digest"}},
    "nonce_secret": ...}``), ``registration`` (``"Open"`` or ``"ListedOnly"``),
    ``max_devices``, ``ipsec_address_params``, ``external_store``...

    Give every request's target among its headers as ``(":path", "/cwmp")`` (Digest checks
    it), and say what you know of each connection with :meth:`connection_opened`.
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self._inner = _femtocwmp.Hems(unwrap(config) if config is not None else None)

    def set_credential_source(
        self,
        source: Mapping[str, Mapping[str, Any]] | Callable[[str, str], Any],
    ) -> None:
        """Where each device's credentials come from.

        Either a table ``{"00A0C6-FAP-S1": {"username": "s1", "password": "..."}}`` (each
        entry: ``username``, ``password`` or ``ha1``, optionally ``certificate_identity``,
        ``connection_request_username``, ``connection_request_password``; checked, a bad
        one raises ``ValueError``), or a callable ``source(kind, key)``: for ``kind ==
        "username"`` it returns ``(device_key, credentials)`` or ``None``, for ``kind ==
        "device"`` the device's ``credentials`` or ``None``. An exception it raises counts
        as "not found" and goes to ``sys.unraisablehook``.
        """
        if isinstance(source, Mapping):
            self._inner.set_device_table({k: unwrap(v) for k, v in source.items()})
        elif callable(source):
            self._inner.set_credential_source(source)
        else:
            raise TypeError("a credential table (mapping) or a callable source(kind, key)")

    def connection_opened(
        self,
        conn: int,
        peer: str | None = None,
        tls: bool = False,
        client_certificate: Mapping[str, Any] | None = None,
    ) -> None:
        """What the transport knows of a new connection, before its first request: the
        peer's address, whether it is TLS, and the verified client certificate's names
        (``{"common_name": ..., "subject_alt_names": [...]}``)."""
        cert = unwrap(client_certificate) if client_certificate is not None else None
        self._inner.connection_opened(conn, peer, tls, cert)

    def submit(
        self, device: str, procedure: Mapping[str, Any], now: int, key: str | None = None
    ) -> int:
        """Queue a procedure, e.g. ``{"ConfigureBySetParameterValues": {"params": [...],
        "parameter_key": "k"}}``; returns its id. With ``key``: if a procedure with that key
        for this device is waiting, under way or among its last finished ones, nothing is
        queued and its id is returned (a retried submission runs once)."""
        return self._inner.submit(device, unwrap(procedure), now, key)

    def next_procedure_id(self) -> int:
        """The id the next procedure gets: keep it in your store, so that a restarted HeMS
        never reuses one (:meth:`reserve_procedure_ids`)."""
        return self._inner.next_procedure_id()

    def reserve_procedure_ids(self, next_id: int) -> None:
        """Ids below ``next_id`` are taken (by an earlier process)."""
        self._inner.reserve_procedure_ids(next_id)

    def handle_http_request(self, conn: int, headers: list, body: bytes, now: int) -> None:
        self._inner.handle_http_request(conn, list(headers), bytes(body), now)

    def handle_request_head(self, conn: int, headers: list, now: int) -> bool:
        """The head of a request (its headers, before the body is read): a request that would
        open a session is authenticated here. ``True``: read the body and call
        :meth:`handle_http_request`; ``False``: the refusal is among the outputs, send it
        without reading the body."""
        return self._inner.handle_request_head(conn, list(headers), now)

    def handle_connection_closed(self, conn: int, now: int) -> None:
        self._inner.handle_connection_closed(conn, now)

    def handle_timeout(self, now: int) -> None:
        self._inner.handle_timeout(now)

    def export_device(self, device: str) -> dict | None:
        return self._inner.export_device(device)

    def take_device_change(self, device: str) -> dict | None:
        """What changed in the device's record since its change was last taken: the record
        without its parameters, and only the parameters with a new value
        (``{"record": {...}, "parameters": [[name, value], ...]}``); None for an unknown
        device. For a store that writes changes, not whole records."""
        return self._inner.take_device_change(device)

    def import_device(self, record: Mapping[str, Any], key: str | None = None) -> None:
        """Load a record from your store; ``key``: the key it is stored under (needed for
        a device not seen yet, whose DeviceId is still empty)."""
        self._inner.import_device(unwrap(record), key)

    def provide_device(self, conn: int, record: Mapping[str, Any] | None, now: int) -> None:
        self._inner.provide_device(conn, unwrap(record) if record is not None else None, now)

    def poll_output(self) -> Any:
        kind, value = self._inner.poll_output()
        if kind == "respond":
            return Respond(
                conn=value["conn"],
                status=value["status"],
                headers=[tuple(h) for h in value["headers"]],
                body=value["body"],
            )
        if kind == "connection_request":
            return ConnectionRequest(**value)
        if kind == "load_device":
            return LoadDevice(**value)
        if kind == "persist":
            return Persist(
                device=value["device"],
                change=value["change"],
                events=[_event(e) for e in value["events"]],
            )
        if kind == "store_device":
            return StoreDevice(device=value["device"], record=value["record"])
        if kind == "event":
            return _event(value)
        if kind == "timeout":
            return Timeout(at=value)
        return IDLE

    def drain(self) -> Iterator[Any]:
        while True:
            out = self.poll_output()
            if isinstance(out, (Timeout, Idle)):
                return
            yield out
