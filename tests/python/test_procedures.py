"""The TS 32.593 procedures through the Python binding: a Hems and an Agent in memory."""

import femtocwmp
from femtocwmp import (
    Agent,
    ConnectionRequest,
    Event,
    Hems,
    Respond,
    Transmit,
    femtocell_model,
)

RF = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF."
DEVICE = {"manufacturer": "Acme", "oui": "00A0C6", "product_class": "FAP", "serial_number": "S1"}
KEY = "00A0C6-FAP-S1"


def world():
    model = femtocell_model(
        {
            "device_id": DEVICE,
            "acs_url": "http://hems/cwmp",
            "connection_request_url": "http://10.0.0.2:7547/cr",
            "software_version": "1.0",
            "ipsec_address": "172.16.0.10",
        }
    )
    return Agent({"device_id": DEVICE}, model, now=0), Hems()


def run(henb, hems, events, files=None, now=0):
    """Deliver messages both ways until quiet; fetch files for the HeNB from `files`."""
    for _ in range(100):
        moved = False
        for out in hems.drain():
            moved = True
            if isinstance(out, Respond):
                henb.handle_http_response(out.status, out.headers, out.body, now)
            elif isinstance(out, ConnectionRequest):
                henb.connection_request(now)
            elif isinstance(out, Event):
                events.append(out)
        if not henb.in_session:
            hems.handle_connection_closed(1, now)
        for out in henb.drain():
            moved = True
            if isinstance(out, Transmit):
                hems.handle_http_request(1, out.headers, out.body, now)
            elif isinstance(out, Event) and out.kind == "DownloadRequested":
                data = (files or {}).get(out.data.url)
                if data is None:
                    henb.download_finished(out.data.command_key, None, now, 9015, "no such file")
                else:
                    henb.download_finished(out.data.command_key, data, now)
        if not moved:
            return
    raise AssertionError("no quiet")


def finished(events):
    return [e.data for e in events if e.kind == "ProcedureFinished"]


def test_registration_spv_download_and_ipsec_change():
    henb, hems = world()
    events = []
    run(henb, hems, events)
    informed = [e for e in events if e.kind == "Informed"]
    assert informed and informed[0].data.bootstrap
    # 5.1.3
    params = [{"name": f"{RF}PhyCellID", "type": "unsignedInt", "value": "42"}]
    pid = hems.submit(
        KEY, {"ConfigureBySetParameterValues": {"params": params, "parameter_key": "k1"}}, 0
    )
    run(henb, hems, events)
    assert henb.value(f"{RF}PhyCellID") == "42"
    assert henb.value("Device.ManagementServer.ParameterKey") == "k1"
    done = [f for f in finished(events) if f.id == pid][0]
    assert "Success" in done.outcome
    # 5.1.2
    config = (
        b'<configDataFile><configData><Device><Services><FAPService index="1"><CellConfig>'
        b"<LTE><RAN><RF><EARFCNDL>1350</EARFCNDL></RF></RAN></LTE></CellConfig></FAPService>"
        b"</Services></Device></configData></configDataFile>"
    )
    download = {
        "ConfigureByFileDownload": {
            "url": "http://files/cfg.xml",
            "username": "",
            "password": "",
            "file_size": 0,
            "target_file_name": "",
            "delay_seconds": 0,
            "timeout_ms": 60000,
        }
    }
    pid = hems.submit(KEY, download, 0)
    run(henb, hems, events, files={"http://files/cfg.xml": config})
    assert henb.value(f"{RF}EARFCNDL") == "1350"
    done = [f for f in finished(events) if f.id == pid][0]
    assert done.outcome["Success"]["transfer"]["fault_struct"]["fault_code"] == 0
    # a file that is missing: the transfer fails with its code, nothing changes
    pid = hems.submit(KEY, download, 0)
    run(henb, hems, events, files={})
    done = [f for f in finished(events) if f.id == pid][0]
    assert done.outcome["TransferFailed"]["fault_struct"]["fault_code"] == 9015
    # 5.1.4
    henb.set_ipsec_address("172.16.9.9", 0)
    run(henb, hems, events)
    change = [e.data for e in events if e.kind == "IpsecAddressChanged"][-1]
    assert change.new == "172.16.9.9"
    assert hems.export_device(KEY)["ipsec_address"] == "172.16.9.9"


def test_snapshots_and_records_survive():
    henb, hems = world()
    events = []
    run(henb, hems, events)
    snap = henb.snapshot()
    again = Agent.restore(snap, rebooted=True, now=5)
    boot = [out for out in again.drain() if isinstance(out, Event) and out.kind == "SessionStarted"]
    codes = [e.event_code for e in boot[0].data.events]
    assert codes == ["1 BOOT"]
    record = hems.export_device(KEY)
    fresh = Hems()
    fresh.import_device(record)
    assert fresh.export_device(KEY) == record


def test_a_record_change_carries_only_new_parameter_values():
    henb, hems = world()
    run(henb, hems, [])
    first = hems.take_device_change(KEY)
    assert first["record"]["parameters"] == {}
    names = [name for name, _ in first["parameters"]]
    assert len(names) == len(hems.export_device(KEY)["parameters"]) > 0
    # taken: nothing new until a value changes
    assert hems.take_device_change(KEY)["parameters"] == []
    henb.set_ipsec_address("172.16.9.9", 0)
    run(henb, hems, [])
    change = hems.take_device_change(KEY)
    assert [value for _, value in change["parameters"]] == ["172.16.9.9"]
    assert hems.take_device_change("00A0C6-FAP-NOBODY") is None


def test_connection_request_checks_and_bad_input():
    henb, _ = world()
    # TR-069 3.2.2: Digest, always; the HeMS answers the challenge once, never twice
    status, headers = henb.handle_connection_request("GET", [], 1)
    assert status == 401
    www = [v for k, v in headers if k == "WWW-Authenticate"]
    assert henb.handle_connection_request("PUT", [], 1)[0] == 405
    henb.parameter_changed_internally("Device.ManagementServer.ConnectionRequestPassword", "pw", 2)
    uri = "http://10.0.0.2:7547/cr"
    answer = femtocwmp.authorization_for(www, "S1", "pw", "GET", uri, "cnonce-1")
    assert answer and answer.startswith("Digest ")
    assert henb.handle_connection_request("GET", [("Authorization", answer)], 3)[0] == 200
    assert henb.handle_connection_request("GET", [("Authorization", answer)], 4)[0] == 401
    wrong = femtocwmp.authorization_for(www, "S1", "guess", "GET", uri, "cnonce-2")
    assert henb.handle_connection_request("GET", [("Authorization", wrong)], 5)[0] == 401
    assert femtocwmp.authorization_for(["Bearer x"], "u", "p", "GET", "/", "c") is None
    hems = Hems()
    try:
        hems.submit(KEY, {"NoSuchProcedure": {}}, 0)
    except ValueError as e:
        assert "Procedure" in str(e)
    else:
        raise AssertionError("a bad procedure must raise")
    assert isinstance(femtocwmp.femtocell_model, object)


def test_agents_and_sessions_show_as_tables_in_notebooks():
    henb, _ = world()
    html = henb._repr_html_()
    assert "<caption>Agent</caption>" in html and "172.16.0.10" in html and "S1" in html
    out = henb.poll_output()
    while not isinstance(out, Transmit):
        out = henb.poll_output()
    accepted = femtocwmp.Acceptor.accept(out.headers, out.body, 0)
    session = accepted.into_session({})
    assert "<caption>AcsSession</caption>" in session._repr_html_()
    assert "<td>open</td>" in session._repr_html_()


def test_write_before_send_and_keyed_submissions():
    henb, _ = world()
    hems = Hems({"persist_changes": True})
    store, published, order = {}, [], []
    params = [{"name": f"{RF}PhyCellID", "type": "unsignedInt", "value": "7"}]
    spv = {"ConfigureBySetParameterValues": {"params": params, "parameter_key": "k"}}
    pid = hems.submit(KEY, spv, 0, key="script:1")
    assert hems.submit(KEY, spv, 0, key="script:1") == pid  # the same submission
    for _ in range(100):
        moved = False
        for out in hems.drain():
            moved = True
            if isinstance(out, femtocwmp.Persist):
                # the change and its events in one write, then published
                store[out.device] = out.change["record"]
                published.extend(out.events)
                order.append("persist")
            elif isinstance(out, Respond):
                order.append("respond")
                henb.handle_http_response(out.status, out.headers, out.body, 0)
            elif isinstance(out, ConnectionRequest):
                henb.connection_request(0)
            elif isinstance(out, Event):
                raise AssertionError(f"a device event outside its Persist: {out}")
        if not henb.in_session:
            hems.handle_connection_closed(1, 0)
        for out in henb.drain():
            moved = True
            if isinstance(out, Transmit):
                hems.handle_http_request(1, out.headers, out.body, 0)
        if not moved:
            break
    # every response followed the write of what it acknowledges
    assert order[0] == "persist" and "respond" in order
    done = [e.data for e in published if e.kind == "ProcedureFinished"]
    assert [d.id for d in done] == [pid]
    assert store[KEY]["queue"] == []
    assert [tuple(k) for k in store[KEY]["done_keys"]] == [("script:1", pid)]
    # the stored record alone: a restarted HeMS knows the key and the ids
    again = Hems({"persist_changes": True})
    again.import_device(store[KEY], key=KEY)
    assert again.submit(KEY, spv, 1, key="script:1") == pid
    assert again.next_procedure_id() > pid
    again.reserve_procedure_ids(1000)
    assert again.next_procedure_id() == 1000


def _hems_message(cwmp_id: str, body: str) -> bytes:
    """A scripted HeMS message: exactly these bytes."""
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Header>'
        f'<cwmp:ID soapenv:mustUnderstand="1">{cwmp_id}</cwmp:ID></soapenv:Header>'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def _next_post(henb):
    for out in henb.drain():
        if isinstance(out, Transmit):
            return out
    return None


def test_a_transfer_complete_ready_during_the_empty_post_goes_in_a_new_session():
    henb, _ = world()
    inform_response = _hems_message(
        "1", "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>"
    )
    download = _hems_message(
        "2",
        "<cwmp:Download><CommandKey>k1</CommandKey>"
        "<FileType>3 Vendor Configuration File</FileType><URL>http://files/cfg.xml</URL>"
        "<Username></Username><Password></Password><FileSize>0</FileSize>"
        "<TargetFileName></TargetFileName><DelaySeconds>0</DelaySeconds>"
        "<SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>",
    )
    # session 1: Inform, a Download (its file fetched later), 204
    assert _next_post(henb) is not None
    henb.handle_http_response(200, [], inform_response, 0)
    assert _next_post(henb).body == b""
    henb.handle_http_response(200, [], download, 0)
    assert b"DownloadResponse" in _next_post(henb).body
    henb.handle_http_response(204, [], b"", 0)
    assert _next_post(henb) is None
    # session 2: the download completes while its empty POST is out
    henb.connection_request(1)
    assert _next_post(henb) is not None
    henb.handle_http_response(200, [], inform_response, 1)
    assert _next_post(henb).body == b""
    config = (
        b'<configDataFile><configData><Device><Services><FAPService index="1"><CellConfig>'
        b"<LTE><RAN><RF><EARFCNDL>1350</EARFCNDL></RF></RAN></LTE></CellConfig></FAPService>"
        b"</Services></Device></configData></configDataFile>"
    )
    henb.download_finished("k1", config, 1)
    assert _next_post(henb) is None, "nothing while the empty POST is out"
    henb.handle_http_response(204, [], b"", 1)
    # TR-069 3.7.1.4: that session is over; a new one opens at once and announces it
    post = _next_post(henb)
    assert post is not None and b"<cwmp:Inform>" in post.body, "a new session's Inform"
    assert b"7 TRANSFER COMPLETE" in post.body and b"M Download" in post.body
    henb.handle_http_response(200, [], inform_response, 1)
    assert b"TransferComplete" in _next_post(henb).body


def test_a_persisting_agent_hands_out_its_state_before_each_post():
    model = femtocell_model(
        {
            "device_id": DEVICE,
            "acs_url": "http://hems/cwmp",
            "connection_request_url": "http://10.0.0.2:7547/cr",
            "software_version": "1.0",
            "ipsec_address": "172.16.0.10",
        }
    )
    henb = Agent({"device_id": DEVICE, "persist_state": True}, model, now=0)
    outputs = list(henb.drain())
    kinds = [o.kind if isinstance(o, Event) else type(o).__name__ for o in outputs]
    assert "Transmit" in kinds
    first_post = kinds.index("Transmit")
    assert "PersistState" in kinds[:first_post], kinds
    stored = [o for o in outputs if isinstance(o, Event) and o.kind == "PersistState"][-1]
    # what was stored is what a restart reads: the BOOTSTRAP still to be delivered
    again = Agent.restore(stored.data.snapshot, rebooted=True, now=5)
    post = next(o for o in again.drain() if isinstance(o, Transmit))
    assert b"0 BOOTSTRAP" in post.body and b"1 BOOT" in post.body
