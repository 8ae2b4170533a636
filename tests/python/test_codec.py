"""The Python codec: decode every corpus message, attribute access, round trips, errors."""

import pathlib
import threading

import pytest

import femtocwmp

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.xml"))
BENCH = ROOT / "tests" / "bench-corpus"


def test_every_corpus_message_decodes_except_the_truncated_one():
    assert len(CORPUS) == 29
    for path in CORPUS:
        data = path.read_bytes()
        if path.name == "rustcwmp-02-bogus-inform.xml":
            with pytest.raises(femtocwmp.DecodeError, match="byte"):
                femtocwmp.decode(data)
            continue
        env = femtocwmp.decode(data)
        assert env.body.method in femtocwmp.method_names() + ["Fault"]
        again = femtocwmp.decode(femtocwmp.encode(env))
        assert again.body == env.body, path.name


def test_attribute_access_and_dict_form():
    env = femtocwmp.decode((BENCH / "a_inform_boot.xml").read_bytes())
    inform = env.body
    assert inform.method == "Inform"
    assert inform.device_id.serial_number == "ACME1B37000123456"
    assert [e.event_code for e in inform.event] == ["1 BOOT", "M Reboot", "4 VALUE CHANGE"]
    assert inform.event[1].command_key == "reboot-7f3a"
    assert len(inform.parameter_list) == 40
    first = inform.parameter_list[0]
    assert (first.name, first.type, first.value) == (
        "Device.DeviceInfo.Manufacturer",
        "string",
        "Acme Small Cells & Co.",
    )
    d = env.to_dict()
    assert d["body"]["device_id"]["oui"] == "00A0C6"
    assert env.version == "1.2"
    assert "Inform(" in repr(inform)
    with pytest.raises(AttributeError):
        inform.device_id = None
    with pytest.raises(AttributeError, match="no field"):
        _ = inform.no_such_field


def test_gpv_2000_values_match_the_generator():
    env = femtocwmp.decode((BENCH / "b_gpv_response_2000.xml").read_bytes())
    expected = [
        tuple(line.split("\t", 1))
        for line in (BENCH / "expected_gpv_pairs.tsv").read_text(encoding="utf-8").splitlines()
    ]
    got = [(p.name, p.value) for p in env.body.parameter_list]
    assert got == expected


def test_build_and_encode_a_message():
    env = femtocwmp.Envelope.new(
        "1.2",
        {
            "method": "SetParameterValues",
            "parameter_list": [
                {
                    "name": "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL",
                    "type": "unsignedInt",
                    "value": "1300",
                },
            ],
            "parameter_key": "cfg-1",
        },
        header={"id": "42"},
    )
    xml = femtocwmp.encode(env)
    assert b'<Value xsi:type="xsd:unsignedInt">1300</Value>' in xml
    assert femtocwmp.check(env) == []
    back = femtocwmp.decode(xml)
    assert back.header.id == "42"
    assert back.body == env.body
    assert femtocwmp.encode(femtocwmp.Envelope.new("1.0", {"method": "Empty"})) == b""
    assert femtocwmp.decode(b"").body.method == "Empty"


def test_bad_input_raises_typed_errors():
    with pytest.raises(femtocwmp.DecodeError) as e:
        femtocwmp.decode(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert isinstance(e.value, ValueError) and isinstance(e.value, femtocwmp.CwmpError)
    assert "DTD" in str(e.value)
    with pytest.raises(femtocwmp.DecodeError, match="max_depth"):
        femtocwmp.decode(b"<a>" * 40 + b"</a>" * 40)
    with pytest.raises(femtocwmp.DecodeError, match="max_total_bytes"):
        femtocwmp.decode((BENCH / "a_inform_boot.xml").read_bytes(), max_total_bytes=100)
    with pytest.raises(ValueError, match="not a CWMP envelope"):
        femtocwmp.encode({"version": "1.2", "body": {"method": "Reboot", "bogus": 1}})
    with pytest.raises(ValueError):
        femtocwmp.encode({"version": "9.9", "body": {"method": "Reboot"}})
    assert femtocwmp.check(
        {"version": "1.0", "body": {"method": "Reboot", "command_key": "k" * 33}}
    )


def test_warnings_show_what_was_interpreted():
    env = femtocwmp.decode((ROOT / "tests" / "corpus" / "cwmpex-02-inform-cytco.xml").read_bytes())
    assert any("11:54::14" in w.message for w in env.warnings)


def test_sample_envelopes_round_trip_through_python():
    samples = femtocwmp._femtocwmp.sample_envelopes()
    assert len(samples) > 200
    for s in samples:
        assert femtocwmp.decode(femtocwmp.encode(s)).body.to_dict() == s["body"]


def test_decode_is_thread_safe():
    data = (BENCH / "b_gpv_response_2000.xml").read_bytes()
    results = []

    def work():
        results.append(len(femtocwmp.decode(data).body.parameter_list))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [2000] * 4


def test_code_tables_match_the_core():
    codes = dict(femtocwmp.fault_codes())
    assert codes[9003] == "Invalid arguments"
    assert "7 TRANSFER COMPLETE" in femtocwmp.event_codes()
    assert "Inform" in femtocwmp.method_names()


def test_a_trace_draws_the_flow_as_svg():
    t = femtocwmp.Trace(limit=3)
    inform = next(
        e for e in femtocwmp._femtocwmp.sample_envelopes() if e["body"]["method"] == "Inform"
    )
    t.record_message(0, "HeNB", "HeMS", femtocwmp.encode(inform))
    t.record(5, "HeMS", "HeNB", "InformResponse <1>")
    t.record_message(9, "HeNB", "HeMS", b"")
    assert len(t) == 3
    at, sender, receiver, label = t.entries()[0]
    assert (at, sender, receiver) == (0, "HeNB", "HeMS") and label.startswith("Inform [")
    assert t.entries()[2][3] == "(empty)"
    svg = t._repr_svg_()
    assert svg.startswith("<svg ") and "InformResponse &lt;1&gt;" in svg and "+9 ms" in svg
    t.record(10, "HeMS", "HeNB", "HTTP 204")
    assert len(t) == 3 and t.dropped == 1
    t.clear()
    assert len(t) == 0
    assert femtocwmp.describe(b"<nope").startswith("(undecodable")


def test_messages_render_as_html_tables_in_notebooks():
    spv = femtocwmp.Message(
        method="SetParameterValues",
        parameter_list=[{"name": "Device.X", "type": "unsignedInt", "value": "1 < 2"}],
        parameter_key="k",
    )
    html = spv._repr_html_()
    assert "<th>name</th><th>type</th><th>value</th>" in html
    assert "<td>Device.X</td><td>unsignedInt</td><td>1 &lt; 2</td>" in html
    fault = femtocwmp.Message(method="Fault", fault_code=9005, fault_string="Invalid name")
    assert 'style="color:#b00">9005' in fault._repr_html_()
