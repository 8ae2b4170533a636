"""The session machines through the Python binding: a HeNB and a HeMS in memory."""

import json

import pytest

import femtocwmp
from femtocwmp import (
    IDLE,
    Acceptor,
    CpeRequest,
    CpeSession,
    Ended,
    Informed,
    Request,
    Response,
    Timeout,
    Transmit,
)

RF = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL"
INFORM = {
    "device_id": {
        "manufacturer": "Acme",
        "oui": "00A0C6",
        "product_class": "FAP",
        "serial_number": "S1",
    },
    "events": [{"event_code": "1 BOOT", "command_key": ""}],
    "current_time": "2026-12-01T10:00:00Z",
}


def run(cpe, acs_config, on_inform=(), park=False):
    """Drive both machines; return the wire log and every event of each side."""
    now, acs, log, cpe_events, acs_events = 0, None, [], [], []
    while True:
        post = None
        for out in cpe.drain():
            if isinstance(out, Transmit):
                post = out
            else:
                cpe_events.append(out)
                if isinstance(out, Request):
                    assert out.body.method == "SetParameterValues"
                    cpe.respond(out.id, {"method": "SetParameterValuesResponse", "status": 0}, now)
        if post is None:
            if acs is not None:
                acs.handle_connection_closed(now)
                acs_events.extend(acs.drain())
            return log, cpe_events, acs_events
        now += 1
        log.append(("CPE", femtocwmp.decode(post.body).body.method))
        if acs is None:
            acs = Acceptor.accept(post.headers, post.body, now).into_session(acs_config)
        else:
            acs.handle_http_request(post.headers, post.body, now)
        resp = None
        for out in acs.drain():
            if isinstance(out, Transmit):
                resp = out
            else:
                acs_events.append(out)
                if isinstance(out, Informed):
                    for body in on_inform:
                        acs.queue(body, now)
        if park:
            acs = femtocwmp.AcsSession.from_json(acs.to_json(), acs_config)
        now += 1
        log.append(("ACS", femtocwmp.decode(resp.body).body.method if resp.body else resp.status))
        cpe.handle_http_response(resp.status, resp.headers, resp.body, now)


def spv():
    return {
        "method": "SetParameterValues",
        "parameter_list": [{"name": RF, "type": "unsignedInt", "value": "1350"}],
        "parameter_key": "cfg-1",
    }


@pytest.mark.parametrize("park", [False, True])
def test_pair_flow_through_the_binding(park):
    cpe = CpeSession({"acs_url": "http://hems/cwmp"}, INFORM, now=0)
    tc = cpe.request(
        {
            "method": "TransferComplete",
            "command_key": "k",
            "fault_struct": {"fault_code": 0, "fault_string": ""},
            "start_time": "2026-12-01T10:00:01Z",
            "complete_time": "2026-12-01T10:00:02Z",
        }
    )
    log, cpe_events, acs_events = run(cpe, {}, on_inform=[spv()], park=park)
    assert log == [
        ("CPE", "Inform"),
        ("ACS", "InformResponse"),
        ("CPE", "TransferComplete"),
        ("ACS", "TransferCompleteResponse"),
        ("CPE", "Empty"),
        ("ACS", "SetParameterValues"),
        ("CPE", "SetParameterValuesResponse"),
        ("ACS", 204),
    ]
    ended = [e for e in cpe_events if isinstance(e, Ended)][0]
    assert ended.success and ended.outcome.answered == (tc,)
    assert cpe.version == "1.4" and cpe.is_ended
    informed = [e for e in acs_events if isinstance(e, Informed)][0]
    assert informed.inform.device_id.serial_number == "S1"
    assert any(isinstance(e, CpeRequest) and e.answered for e in acs_events)
    resp = [e for e in acs_events if isinstance(e, Response)][0]
    assert not resp.is_fault and resp.result.status == 0
    assert [e for e in acs_events if isinstance(e, Ended)][0].success


def test_drain_rule_and_outputs():
    cpe = CpeSession({"acs_url": "http://hems/cwmp", "session_timeout_ms": 1000}, INFORM, now=0)
    post = cpe.poll_output()
    assert isinstance(post, Transmit) and post.url == "http://hems/cwmp"
    assert ("Content-Type", 'text/xml; charset="utf-8"') in post.headers
    assert cpe.poll_output() == Timeout(at=1000)
    cpe.handle_timeout(1000)
    out = list(cpe.drain())
    assert isinstance(out[0], Ended) and out[0].outcome.reason == "Timeout"
    assert cpe.poll_output() is IDLE


def test_errors_are_typed():
    cpe = CpeSession({"acs_url": "http://hems/"}, INFORM, now=0)
    list(cpe.drain())
    gpv = femtocwmp.encode(
        femtocwmp.Envelope.new(
            "1.2", {"method": "GetParameterValues", "parameter_names": [RF]}, header={"id": "1"}
        )
    )
    with pytest.raises(femtocwmp.RemoteProtocolError, match="before the InformResponse"):
        cpe.handle_http_response(200, [], gpv, 1)
    assert issubclass(femtocwmp.RemoteProtocolError, femtocwmp.ProtocolError)
    cpe = CpeSession({"acs_url": "http://hems/"}, INFORM, now=0)
    with pytest.raises(femtocwmp.LocalProtocolError):
        cpe.request({"method": "GetParameterValues", "parameter_names": [RF]})
    with pytest.raises(ValueError, match="not a valid CpeConfig"):
        CpeSession({"acs_urll": "x"}, INFORM, now=0)
    with pytest.raises(femtocwmp.RemoteProtocolError, match="Inform must open"):
        Acceptor.accept([], femtocwmp.encode(femtocwmp.Envelope.new("1.0", spv())), 0)
    with pytest.raises(femtocwmp.DecodeError):
        Acceptor.accept([], b"<x", 0)


def test_parked_sessions_are_small_json():
    cpe = CpeSession({"acs_url": "http://hems/"}, INFORM, now=0)
    post = next(cpe.drain())
    acs = Acceptor.accept(post.headers, post.body, 1).into_session({"rng_seed": 7})
    list(acs.drain())
    parked = acs.to_json()
    assert len(parked) < 2048
    assert json.loads(parked)["device_id"]["serial_number"] == "S1"


def test_retry_waits():
    assert 5000 <= femtocwmp.retry_wait_ms(1, seed=3) <= 10000
    assert 2_560_000 <= femtocwmp.retry_wait_ms(15, seed=3) <= 5_120_000
