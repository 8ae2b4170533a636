"""examples/python: the HeMS on http.server and the HeNB on http.client run against each
other on loopback, through the three TS 32.593 configuration-management flows."""

import json
import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
RF = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF."
CONFIG_FILE = (
    b'<configDataFile><configData><Device><Services><FAPService index="1"><CellConfig>'
    b"<LTE><RAN><RF><EARFCNDL>1375</EARFCNDL></RF></RAN></LTE></CellConfig></FAPService>"
    b"</Services></Device></configData></configDataFile>"
)


def test_the_python_hems_and_henb_run_the_three_flows(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "cfg.xml").write_bytes(CONFIG_FILE)
    device = "00A0C6-FAP-PY1"
    spv = {
        "params": [{"name": f"{RF}PhyCellID", "type": "unsignedInt", "value": "321"}],
        "parameter_key": "py-1",
    }
    download = {
        "url": "/files/cfg.xml",
        "username": "",
        "password": "",
        "file_size": 0,
        "target_file_name": "",
        "delay_seconds": 0,
        "timeout_ms": 20000,
    }
    script = [
        {"device": device, "procedure": {"ConfigureBySetParameterValues": spv}},
        # a second later: the HeMS reaches the HeNB by a Connection Request
        {"device": device, "procedure": {"ConfigureByFileDownload": download}, "delay_ms": 800},
    ]
    (tmp_path / "script.json").write_text(json.dumps(script))
    # the HeNB's own credentials, for the HeMS's Digest and for Connection Requests
    devices = {
        device: {
            "username": "PY1",
            "password": "py1-secret",
            "connection_request_password": "py1-cr-secret",
        }
    }
    (tmp_path / "devices.json").write_text(json.dumps(devices))
    hems = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "hems_server.py"), "--listen", "127.0.0.1:0"]
        + ["--script", str(tmp_path / "script.json"), "--files", str(files)]
        + ["--devices", str(tmp_path / "devices.json"), "--duration", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = hems.stderr.readline().strip().removeprefix("HeMS listening on ")
        assert url.startswith("http://127.0.0.1:"), url
        henb = subprocess.run(
            [sys.executable, str(EXAMPLES / "henb_client.py"), "--hems", url]
            + ["--ipsec", "172.16.7.7", "--ipsec-after", "2.5", "--duration", "4.5"]
            + ["--password", "py1-secret", "--cr-password", "py1-cr-secret"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        out, _ = hems.communicate(timeout=30)
    finally:
        hems.kill()
    assert henb.returncode == 0, henb.stderr
    result = json.loads(henb.stdout)
    assert result["failed"] == 0 and result["completed"] >= 3, result
    assert result["values"] == {
        f"{RF}PhyCellID": "321",
        f"{RF}EARFCNDL": "1375",
        "Device.FAP.Tunnel.IKESA.1.IPAddress": "172.16.7.7",
    }
    events = [json.loads(line) for line in out.splitlines()]
    finished = [e["ProcedureFinished"] for e in events if "ProcedureFinished" in e]
    assert len(finished) == 2 and all("Success" in f["outcome"] for f in finished), finished
    informed = [e["Informed"] for e in events if "Informed" in e]
    codes = [[ev["event_code"] for ev in i["events"]] for i in informed]
    assert any("6 CONNECTION REQUEST" in c for c in codes), codes
    changes = [e["IpsecAddressChanged"] for e in events if "IpsecAddressChanged" in e]
    assert changes and changes[-1]["new"] == "172.16.7.7"
