"""The availability rows of `make bench`, each from one run on loopback against
`femtocwmp hems` (release):

- memory per idle connection: the HeMS's resident memory with 10,000 connections that never
  send a byte, against its memory before they came;
- session rate under attack: `femtocwmp henb --count N` (each HeNB registers and is
  configured by SetParameterValues) with 1,000 slowloris connections held open meanwhile
  (a header that never ends, a byte every half second, reconnected when cut), against the
  same run without them, medians of alternating rounds. Goal >= 0.8.

    python tools/availability_bench.py target/release/femtocwmp [HENBS]
"""

import json
import pathlib
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from load_bench import script

IDLE = 10_000
RAMP = "0.2"
ROUNDS = 3
SLOWLORIS = 1_000


def start_hems(binary: str, extra: list) -> tuple:
    """A HeMS on loopback; returns it and its (host, port)."""
    hems = subprocess.Popen(
        [binary, "hems", "--auth", "none", "--listen", "127.0.0.1:0", "--quiet"]
        + ["--duration", "300", "--max-connections", "20000"]
        + ["--max-connections-per-address", "20000", "--events", "/dev/null"]
        + extra,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(20):
        line = hems.stderr.readline()
        if line.startswith("HeMS listening on http://"):
            host, port = line.strip().removeprefix("HeMS listening on http://")[:-5].split(":")
            threading.Thread(target=lambda: hems.stderr.read(), daemon=True).start()
            return hems, (host, int(port))
    raise SystemExit(f"availability bench: the HeMS did not start: {line}")


def rss_kib(pid: int) -> int:
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def memory_per_idle_connection(binary: str) -> float:
    hems, addr = start_hems(binary, [])
    try:
        time.sleep(0.3)
        before = rss_kib(hems.pid)
        held = [socket.create_connection(addr) for _ in range(IDLE)]
        time.sleep(1.0)
        after = rss_kib(hems.pid)
        for s in held:
            s.close()
    finally:
        hems.kill()
        hems.wait()
    per = (after - before) / IDLE
    print(
        f"idle connections: {IDLE} held; HeMS memory {before / 1024:.0f} MiB -> "
        f"{after / 1024:.0f} MiB, {per:.2f} KiB per connection"
    )
    return per


class Slowloris:
    """SLOWLORIS connections that send a header one byte at a time, forever."""

    def __init__(self, addr: tuple):
        self.addr = addr
        self.stop = threading.Event()
        self.cut = 0
        self.socks = [self.open() for _ in range(SLOWLORIS)]
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def open(self):
        try:
            s = socket.create_connection(self.addr, timeout=2)
            s.sendall(b"POST /cwmp HTTP/1.1\r\nHost: h\r\nX-Slow: ")
            return s
        except OSError:
            return None

    def trickle(self):
        while not self.stop.wait(0.5):
            for i, s in enumerate(self.socks):
                try:
                    if s is None:
                        raise OSError
                    s.send(b"a")
                except OSError:
                    self.cut += 1
                    if s is not None:
                        s.close()
                    self.socks[i] = self.open()

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            if s is not None:
                s.close()


def session_rate(binary: str, henbs: int, attacked: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "script.json"
        path.write_text(json.dumps(script(henbs)))
        hems, addr = start_hems(binary, ["--script", str(path)])
        attack = Slowloris(addr) if attacked else None
        try:
            run = subprocess.run(
                [binary, "henb", "--hems", f"http://{addr[0]}:{addr[1]}/cwmp"]
                + ["--count", str(henbs), "--serial-prefix", "LOAD", "--ramp", RAMP]
                + ["--stop-after-sessions", str(henbs), "--shared-cr-port"]
                + ["--stats", "--duration", "120"],
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            if attack is not None:
                attack.close()
            hems.kill()
            hems.wait()
    stats = run.stdout.strip()
    if run.returncode != 0 or not stats.startswith("sessions:"):
        raise SystemExit(f"availability bench: the HeNBs failed: {run.stderr}")
    rate = float(re.search(r"([\d.]+) /s", stats).group(1))
    label = f"with {SLOWLORIS} slowloris" if attacked else "undisturbed"
    cut = f" ({attack.cut} slowloris connections cut and reopened)" if attack else ""
    print(f"  {label:>22}: {stats}{cut}")
    return rate


def main(argv: list) -> int:
    binary = argv[1]
    henbs = int(argv[2]) if len(argv) > 2 else 5_000
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < IDLE + 1_000:
        print(f"availability bench: needs {IDLE + 1000} descriptors (limit {hard})")
        return 1
    print("availability (HeMS and clients share the cores):")
    memory_per_idle_connection(binary)
    print(f"session rate, {henbs} HeNBs booting over {RAMP} s:")
    # alternating rounds, medians: the simulator shares the cores, and one boot storm
    # alone varies by half
    clean, attacked = [], []
    for _ in range(ROUNDS):
        clean.append(session_rate(binary, henbs, attacked=False))
        attacked.append(session_rate(binary, henbs, attacked=True))
    clean, attacked = statistics.median(clean), statistics.median(attacked)
    print(f"  medians of {ROUNDS}: {clean:.0f} /s undisturbed, {attacked:.0f} /s under slowloris")
    print(f"  under slowloris / undisturbed: {attacked / clean:.2f} (goal >= 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
