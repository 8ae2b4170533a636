"""Trust through the Python binding: each HeNB authenticates with its own credentials and
speaks for its own device only. The peer is scripted here (Digest computed with hashlib from
the RFC 7616 formulas), not the library's own client."""

import hashlib
import re
import sys

import pytest

import femtocwmp
from femtocwmp import Event, Hems, Respond

A = "00A0C6-FAP-LTE-A1"
VICTIM = "00A0C6-FAP-LTE-VICTIM"
TABLE = {
    A: {"username": "a", "password": "pass-a"},
    VICTIM: {
        "username": "victim",
        "password": "pass-victim",
        "connection_request_username": "cr-victim",
        "connection_request_password": "cr-secret",
    },
}
DEVICES_AUTH = {
    "auth": {"policy": {"Devices": {"scheme": "Digest"}}, "nonce_secret": "test-secret"}
}


def inform(serial, cr_url="http://192.0.2.50:7547/cr"):
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Header><cwmp:ID '
        'soapenv:mustUnderstand="1">1</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:Inform>'
        "<DeviceId><Manufacturer>x</Manufacturer><OUI>00A0C6</OUI><ProductClass>FAP-LTE"
        f"</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId><Event><EventStruct>"
        "<EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event>"
        "<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-12-04T10:00:00Z</CurrentTime>"
        "<RetryCount>0</RetryCount><ParameterList><ParameterValueStruct><Name>"
        "Device.ManagementServer.ConnectionRequestURL</Name>"
        f"<Value>{cr_url}</Value></ParameterValueStruct></ParameterList></cwmp:Inform>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


class Digest:
    """A Digest client from RFC 7616 3.4.1 (SHA-256 or MD5)."""

    def __init__(self, response, user, password, algorithm="SHA-256"):
        challenge = next(
            v
            for k, v in response.headers
            if k.lower() == "www-authenticate" and f"algorithm={algorithm}" in v
        )
        self.realm = re.search(r'realm="([^"]*)"', challenge).group(1)
        self.nonce = re.search(r'nonce="([^"]*)"', challenge).group(1)
        self.user, self.password, self.algorithm, self.nc = user, password, algorithm, 0

    def h(self, text):
        f = hashlib.sha256 if self.algorithm == "SHA-256" else hashlib.md5
        return f(text.encode()).hexdigest()

    def header(self, uri="/cwmp"):
        self.nc += 1
        nc, cnonce = f"{self.nc:08x}", f"c{self.nc}"
        ha1 = self.h(f"{self.user}:{self.realm}:{self.password}")
        ha2 = self.h(f"POST:{uri}")
        resp = self.h(f"{ha1}:{self.nonce}:{nc}:{cnonce}:auth:{ha2}")
        return (
            f'Digest username="{self.user}", realm="{self.realm}", nonce="{self.nonce}", '
            f'uri="{uri}", algorithm={self.algorithm}, qop=auth, nc={nc}, '
            f'cnonce="{cnonce}", response="{resp}"'
        )


class Peer:
    """Sends requests to the HeMS and keeps what comes out."""

    def __init__(self, hems):
        self.hems, self.events, self.now = hems, [], 1000

    def post(self, conn, body, authorization=None):
        self.now += 10
        headers = [(":path", "/cwmp")]
        if authorization:
            headers.append(("Authorization", authorization))
        self.hems.handle_http_request(conn, headers, body, self.now)
        responses = []
        for out in self.hems.drain():
            if isinstance(out, Respond):
                responses.append(out)
            elif isinstance(out, Event):
                self.events.append(out)
        assert len(responses) == 1
        return responses[0]

    def refused(self):
        return [e.data for e in self.events if e.kind == "Refused"]

    def register(self, conn, serial, user, password):
        self.hems.connection_opened(conn, peer="198.51.100.1")
        challenge = self.post(conn, inform(serial))
        assert challenge.status == 401
        client = Digest(challenge, user, password)
        assert self.post(conn, inform(serial), client.header()).status == 200
        assert self.post(conn, b"").status in (200, 204)
        return client


def spv():
    params = [{"name": "Device.DeviceInfo.ProvisioningCode", "type": "string", "value": "x"}]
    return {"ConfigureBySetParameterValues": {"params": params, "parameter_key": "k"}}


def test_another_devices_password_cannot_claim_the_victim():
    hems = Hems(DEVICES_AUTH)
    hems.set_credential_source(TABLE)
    peer = Peer(hems)
    peer.register(1, "VICTIM", "victim", "pass-victim")
    hems.submit(VICTIM, spv(), peer.now)
    before = hems.export_device(VICTIM)
    hems.connection_opened(2, peer="203.0.113.9")
    challenge = peer.post(2, inform("VICTIM", "http://evil/cr"))
    r = peer.post(2, inform("VICTIM", "http://evil/cr"), Digest(challenge, "a", "pass-a").header())
    assert r.status == 403 and r.body == b""
    (refusal,) = peer.refused()
    assert refusal.device == VICTIM and refusal.status == 403 and refusal.peer == "203.0.113.9"
    assert "authenticated as 00A0C6-FAP-LTE-A1" in refusal.reason
    assert hems.export_device(VICTIM) == before


def test_replays_and_plain_http_basic_are_refused():
    hems = Hems(DEVICES_AUTH)
    hems.set_credential_source(TABLE)
    peer = Peer(hems)
    hems.connection_opened(1, peer="198.51.100.1")
    client = Digest(peer.post(1, inform("A1")), "a", "pass-a", "MD5")
    captured = client.header()
    assert peer.post(1, inform("A1"), captured).status == 200
    for conn in (5, 6, 7):
        hems.connection_opened(conn, peer="203.0.113.9")
        assert peer.post(conn, inform("A1"), captured).status == 401
    assert all("replay" in r.reason for r in peer.refused())
    basic = Hems({"auth": {"policy": {"Devices": {"scheme": "Basic"}}}})
    basic.set_credential_source(TABLE)
    peer = Peer(basic)
    basic.connection_opened(1, peer="198.51.100.1", tls=False)
    assert peer.post(1, inform("A1"), "Basic YTpwYXNzLWE=").status == 403
    basic.connection_opened(2, peer="198.51.100.1", tls=True)
    assert peer.post(2, inform("A1"), "Basic YTpwYXNzLWE=").status == 200


def test_a_certificate_naming_another_device_is_refused():
    hems = Hems({"auth": {"policy": {"Devices": {"scheme": "Certificate"}}}})
    peer = Peer(hems)
    hems.connection_opened(1, tls=True, client_certificate={"common_name": A})
    assert peer.post(1, inform("A1")).status == 200
    hems.connection_opened(2, tls=True, client_certificate={"subject_alt_names": [A]})
    assert peer.post(2, inform("VICTIM")).status == 403
    assert "does not name" in peer.refused()[0].reason
    assert hems.export_device(VICTIM) is None


def test_a_callable_source_and_its_failures(monkeypatch):
    asked = []

    def source(kind, key):
        asked.append((kind, key))
        if key == "boom":
            raise RuntimeError("the provisioning system is down")
        if kind == "username":
            device = next((d for d, c in TABLE.items() if c["username"] == key), None)
            return (device, TABLE[device]) if device else None
        return TABLE.get(key)

    hems = Hems(DEVICES_AUTH)
    hems.set_credential_source(source)
    peer = Peer(hems)
    client = peer.register(1, "VICTIM", "victim", "pass-victim")
    assert ("username", "victim") in asked
    # Connection Requests use the device's own credentials from the source
    hems.handle_connection_closed(1, peer.now)
    hems.submit(VICTIM, spv(), peer.now)
    crs = [o for o in hems.drain() if isinstance(o, femtocwmp.ConnectionRequest)]
    assert [(c.username, c.password) for c in crs] == [("cr-victim", "cr-secret")]
    # an exception in the source: not found (401), and reported, not lost
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    hems.connection_opened(9, peer="198.51.100.3")
    boom = Digest(peer.post(9, inform("A1")), "boom", "x")
    assert peer.post(9, inform("A1"), boom.header()).status == 401
    assert unraisable and "provisioning system is down" in str(unraisable[0].exc_value)
    del client


def test_bad_tables_and_sources_raise():
    hems = Hems()
    with pytest.raises(ValueError, match="ha1"):
        hems.set_credential_source({A: {"username": "a", "ha1": "nothex"}})
    with pytest.raises(ValueError, match="pasword"):
        hems.set_credential_source({A: {"username": "a", "pasword": "p"}})
    with pytest.raises(TypeError):
        hems.set_credential_source(42)
    with pytest.raises(ValueError):
        hems.connection_opened(1, client_certificate={"cn": "x"})


def download_response(request_body, status=1):
    """The HeNB's DownloadResponse to the Download in ``request_body`` (same cwmp:ID)."""
    env = femtocwmp.decode(request_body)
    assert env.body.method == "Download"
    reply = {
        "version": "1.2",
        "namespace": "urn:dslforum-org:cwmp-1-2",
        "header": {"id": env.header.id},
        "body": {"method": "DownloadResponse", "status": status},
    }
    return env.body.command_key, femtocwmp.encode(reply)


def transfer_complete(command_key):
    return femtocwmp.encode(
        {
            "version": "1.2",
            "namespace": "urn:dslforum-org:cwmp-1-2",
            "header": {"id": "tc-1"},
            "body": {
                "method": "TransferComplete",
                "command_key": command_key,
                "fault_struct": {"fault_code": 0, "fault_string": ""},
            },
        }
    )


def test_the_takeover_sequence_leaves_the_victim_untouched():
    hems = Hems(DEVICES_AUTH)
    hems.set_credential_source(TABLE)
    peer = Peer(hems)
    # VICTIM takes a Download (Status 1: its TransferComplete is awaited)
    peer.register(1, "VICTIM", "victim", "pass-victim")
    download = {
        "ConfigureByFileDownload": {
            "url": "http://files.example.net/victim.xml",
            "username": "file-user",
            "password": "file-password",
            "file_size": 0,
            "target_file_name": "",
            "delay_seconds": 0,
            "timeout_ms": 600000,
        }
    }
    hems.submit(VICTIM, download, peer.now)
    hems.connection_opened(2, peer="198.51.100.1")
    victim = Digest(peer.post(2, inform("VICTIM")), "victim", "pass-victim")
    assert peer.post(2, inform("VICTIM"), victim.header()).status == 200
    command_key, answer = download_response(peer.post(2, b"").body)
    assert peer.post(2, answer).status == 204
    before = hems.export_device(VICTIM)
    assert len(before["awaiting_transfer"]) == 1
    # A's session: a second Inform claiming VICTIM is a fault, not a session for VICTIM
    hems.connection_opened(3, peer="203.0.113.9")
    a = Digest(peer.post(3, inform("A1")), "a", "pass-a")
    assert peer.post(3, inform("A1"), a.header()).status == 200
    fault = femtocwmp.decode(peer.post(3, inform("VICTIM", "http://evil/cr")).body)
    assert fault.body.method == "Fault" and fault.body.fault_code == 8003
    # a new session on A's kept-alive connection, claiming VICTIM with A's credentials
    hems.connection_opened(4, peer="203.0.113.9")
    a = Digest(peer.post(4, inform("A1")), "a", "pass-a")
    assert peer.post(4, inform("A1"), a.header()).status == 200
    assert peer.post(4, b"").status == 204
    assert peer.post(4, inform("VICTIM", "http://evil/cr"), a.header()).status == 403
    # A's own session reporting VICTIM's CommandKey: answered, but settles nothing of VICTIM
    hems.connection_opened(5, peer="203.0.113.9")
    a = Digest(peer.post(5, inform("A1")), "a", "pass-a")
    assert peer.post(5, inform("A1"), a.header()).status == 200
    assert peer.post(5, transfer_complete(command_key)).status == 200
    assert hems.export_device(VICTIM) == before
    finished = [e.data for e in peer.events if e.kind == "ProcedureFinished"]
    assert not [f for f in finished if f.device == VICTIM]
    assert [r.status for r in peer.refused()] == [403]


def test_the_head_is_authenticated_before_the_body_is_read():
    hems = Hems(DEVICES_AUTH)
    hems.set_credential_source(TABLE)
    hems.connection_opened(1, peer="198.51.100.1")
    assert hems.handle_request_head(1, [(":path", "/cwmp")], 10) is False
    (challenge,) = [o for o in hems.drain() if isinstance(o, Respond)]
    assert challenge.status == 401
    authorization = Digest(challenge, "a", "pass-a").header()
    headers = [(":path", "/cwmp"), ("Authorization", authorization)]
    assert hems.handle_request_head(1, headers, 11) is True
    hems.handle_http_request(1, headers, inform("A1"), 12)
    (answer,) = [o for o in hems.drain() if isinstance(o, Respond)]
    assert answer.status == 200
