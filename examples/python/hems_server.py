"""A HeMS in plain Python: femtocwmp.Hems for the protocol, the standard library's
http.server for HTTP. It serves the CWMP endpoint (POST /cwmp), a file server for
configuration files (GET /files/NAME), sends Connection Requests (HTTP GET with Digest,
urllib), and runs scripted procedures when their device first informs — the three TS 32.593
configuration-management flows against any HeNB.

    python hems_server.py --listen 127.0.0.1:7547 [--devices devices.json]
                          [--script procedures.json] [--files DIR] [--duration SECONDS]

With --devices (a JSON table as for `femtocwmp hems --devices`), each HeNB authenticates with
its own Digest credentials and may speak for its own device only; the same table gives each
HeNB's Connection Request credentials.

The script is a JSON list of {"device": "OUI-ProductClass-Serial", "procedure": {...},
"delay_ms": 0} as for `femtocwmp hems`; a download URL that is a path ("/files/cfg.xml")
names this server. Prints "HeMS listening on URL" on stderr, then one JSON line per event
on stdout.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import secrets
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import femtocwmp

START = time.monotonic()
LOCK = threading.Lock()  # the Hems is one object: one thread at a time


def now_ms() -> int:
    return int((time.monotonic() - START) * 1000)


class State:
    def __init__(self, script: list, files: dict, base: str, devices: dict | None) -> None:
        if devices is None:
            self.hems = femtocwmp.Hems()
        else:
            auth = {
                "policy": {"Devices": {"scheme": "Digest"}},
                "nonce_secret": secrets.token_hex(),
            }
            self.hems = femtocwmp.Hems({"auth": auth})
            self.hems.set_credential_source(devices)
        self.pending: dict = {}
        for entry in script:
            procedure = entry["procedure"]
            for kind in ("ConfigureByFileDownload", "FirmwareUpgrade"):
                if kind in procedure and procedure[kind]["url"].startswith("/"):
                    procedure[kind]["url"] = base + procedure[kind]["url"]
            self.pending.setdefault(entry["device"], []).append(
                (procedure, entry.get("delay_ms", 0))
            )
        self.files = files
        self.responses: dict = {}
        self.next_conn = 1

    def forward(self) -> None:
        """Drains the HeMS (caller holds LOCK): responses wait for their connection's
        handler; everything else happens here."""
        for out in self.hems.drain():
            if isinstance(out, femtocwmp.Respond):
                self.responses[out.conn] = out
            elif isinstance(out, femtocwmp.ConnectionRequest):
                threading.Thread(target=connection_request, args=(out,), daemon=True).start()
            elif isinstance(out, femtocwmp.Event):
                print(json.dumps({out.kind: out.data.to_dict()}), flush=True)
                if out.kind == "Informed":
                    for procedure, delay in self.pending.pop(out.data.device, []):
                        threading.Timer(
                            delay / 1000, submit, args=(out.data.device, procedure)
                        ).start()


STATE: State


def submit(device: str, procedure: dict) -> None:
    with LOCK:
        STATE.hems.submit(device, procedure, now_ms())
        STATE.forward()


def connection_request(cr: femtocwmp.ConnectionRequest) -> None:
    """TR-069 3.2.2: an HTTP GET to the device, answering its Digest challenge."""
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, cr.url, cr.username, cr.password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))
    try:
        opener.open(cr.url, timeout=5).close()
    except OSError as e:
        print(f"Connection Request to {cr.device} failed: {e}", file=sys.stderr)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one CWMP session per connection

    def setup(self) -> None:
        super().setup()
        with LOCK:
            self.conn = STATE.next_conn
            STATE.next_conn += 1
            # failed authentications are counted per peer address
            STATE.hems.connection_opened(self.conn, peer=self.client_address[0])

    def finish(self) -> None:
        super().finish()
        with LOCK:
            STATE.hems.handle_connection_closed(self.conn, now_ms())
            STATE.forward()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with LOCK:
            # the request target goes with the headers: Digest checks it
            headers = [(":path", self.path), *self.headers.items()]
            STATE.hems.handle_http_request(self.conn, headers, body, now_ms())
            STATE.forward()
            out = STATE.responses.pop(self.conn)
        self.send_response(out.status)
        for name, value in out.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(out.body)))
        self.end_headers()
        self.wfile.write(out.body)

    def do_GET(self) -> None:  # the file server of Figure 5-1
        data = STATE.files.get(self.path)
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")

    def log_message(self, format: str, *args: object) -> None:
        pass


def ticks(stop: threading.Event) -> None:
    """Session timeouts and TransferComplete deadlines."""
    while not stop.wait(0.1):
        with LOCK:
            STATE.hems.handle_timeout(now_ms())
            STATE.forward()


def main() -> None:
    global STATE
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:7547")
    parser.add_argument("--script")
    parser.add_argument("--files")
    parser.add_argument("--devices")
    parser.add_argument("--duration", type=float)
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    base = f"http://{host}:{server.server_address[1]}"
    script = json.loads(pathlib.Path(args.script).read_text()) if args.script else []
    files = {}
    if args.files:
        files = {f"/files/{p.name}": p.read_bytes() for p in pathlib.Path(args.files).iterdir()}
    devices = json.loads(pathlib.Path(args.devices).read_text()) if args.devices else None
    STATE = State(script, files, base, devices)
    stop = threading.Event()
    threading.Thread(target=ticks, args=(stop,), daemon=True).start()
    print(f"HeMS listening on {base}/cwmp", file=sys.stderr, flush=True)
    if args.duration:
        threading.Timer(args.duration, server.shutdown).start()
    server.serve_forever()
    stop.set()


if __name__ == "__main__":
    main()
