"""A HeNB in plain Python: femtocwmp.Agent for the protocol, http.client for the HeMS,
urllib for file downloads, http.server for Connection Requests. It boots, registers with any
HeMS, answers what the HeMS asks (SetParameterValues, Download then TransferComplete...),
and can change its inner IPsec address on its own (TS 32.593 5.1.4).

    python henb_client.py --hems http://127.0.0.1:7547/cwmp [--serial S1]
                          [--password P] [--cr-password P]
                          [--ipsec NEW_ADDRESS --ipsec-after SECONDS] [--duration SECONDS]

Prints one line per session and, at the end, the configured values as JSON on stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import femtocwmp

START = time.monotonic()
LOCK = threading.Condition()  # the Agent is one object; the condition wakes the main loop
RF = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF."


def now_ms() -> int:
    return int((time.monotonic() - START) * 1000)


AGENT: femtocwmp.Agent


class ConnectionRequests(BaseHTTPRequestHandler):
    """TR-069 3.2.2: the agent checks the Digest and says what to answer."""

    def do_GET(self) -> None:
        with LOCK:
            status, headers = AGENT.handle_connection_request(
                "GET", list(self.headers.items()), now_ms()
            )
            LOCK.notify()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def fetch(url: str, username: str, password: str) -> tuple:
    """A Download's file: (bytes, None) or (None, (fault code, why)) per TR-069 A.5.1."""
    handlers = []
    if username:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, username, password)
        handlers = [
            urllib.request.HTTPBasicAuthHandler(passwords),
            urllib.request.HTTPDigestAuthHandler(passwords),
        ]
    try:
        with urllib.request.build_opener(*handlers).open(url, timeout=30) as r:
            return r.read(), None
    except urllib.error.HTTPError as e:
        return None, (9012 if e.code == 401 else 9016, f"HTTP {e.code}")
    except OSError as e:
        return None, (9015, str(e))


def post(conn: http.client.HTTPConnection | None, t: femtocwmp.Transmit) -> tuple:
    """POSTs one message on the session's connection (opened on first use)."""
    url = urllib.parse.urlsplit(t.url)
    if conn is None:
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    conn.request("POST", url.path or "/", body=t.body, headers=dict(t.headers))
    r = conn.getresponse()
    return conn, r.status, r.getheaders(), r.read()


def main() -> None:
    global AGENT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hems", required=True)
    parser.add_argument("--serial", default="PY1")
    parser.add_argument("--ipsec")
    parser.add_argument("--ipsec-after", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--password", default="", help="for the HeMS's Digest")
    parser.add_argument("--cr-password", default="", help="for Connection Requests")
    args = parser.parse_args()

    listener = HTTPServer(("127.0.0.1", 0), ConnectionRequests)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    device = {
        "manufacturer": "Acme",
        "oui": "00A0C6",
        "product_class": "FAP",
        "serial_number": args.serial,
    }
    model = femtocwmp.femtocell_model(
        {
            "device_id": device,
            "acs_url": args.hems,
            "connection_request_url": f"http://127.0.0.1:{listener.server_address[1]}/cr",
            "software_version": "1.0",
            "ipsec_address": "172.16.0.10",
            "connection_request_password": args.cr_password,
        }
    )
    model["params"]["Device.ManagementServer.Password"]["value"] = args.password
    AGENT = femtocwmp.Agent({"device_id": device}, model, now_ms())
    completed = failed = 0
    conn = None
    ipsec_at = args.ipsec_after * 1000 if args.ipsec else None
    with LOCK:
        while now_ms() < args.duration * 1000:
            out = AGENT.poll_output()
            if isinstance(out, femtocwmp.Transmit):
                try:
                    conn, status, headers, body = post(conn, out)
                    AGENT.handle_http_response(status, headers, body, now_ms())
                except OSError as e:
                    conn = None
                    AGENT.handle_transport_failed(str(e), now_ms())
                if not AGENT.in_session and conn is not None:
                    conn.close()  # the session is over
                    conn = None
            elif isinstance(out, femtocwmp.Event):
                if out.kind == "DownloadRequested":
                    data, fault = fetch(out.data.url, out.data.username, out.data.password)
                    code, why = fault or (None, None)
                    AGENT.download_finished(out.data.command_key, data, now_ms(), code, why)
                elif out.kind == "SessionEnded":
                    ok = out.data.reason == "Completed"
                    completed, failed = completed + ok, failed + (not ok)
                    print(f"session ended: {out.data.reason}", file=sys.stderr)
            else:  # Timeout or Idle: sleep until then, a Connection Request, or our change
                until = args.duration * 1000
                if isinstance(out, femtocwmp.Timeout):
                    until = min(until, out.at)
                if ipsec_at is not None:
                    until = min(until, ipsec_at)
                LOCK.wait(max(0, until - now_ms()) / 1000)
                if ipsec_at is not None and now_ms() >= ipsec_at:
                    AGENT.set_ipsec_address(args.ipsec, now_ms())
                    ipsec_at = None
                AGENT.handle_timeout(now_ms())
        values = {
            name: AGENT.value(name)
            for name in (
                f"{RF}PhyCellID",
                f"{RF}EARFCNDL",
                "Device.FAP.Tunnel.IKESA.1.IPAddress",
            )
        }
    listener.shutdown()
    print(json.dumps({"completed": completed, "failed": failed, "values": values}))


if __name__ == "__main__":
    main()
