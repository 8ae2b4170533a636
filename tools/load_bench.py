"""The load run of `make bench`: `femtocwmp hems` and `femtocwmp henb --count N` as two
processes on loopback; each HeNB registers and is configured by SetParameterValues in that
session. Prints sessions/s, p50/p99 session time (seen by the HeNBs) and the HeMS's peak
memory (VmHWM). Both processes share this machine's cores.

    python tools/load_bench.py target/release/femtocwmp [COUNT] [RAMP_SECONDS]
"""

import json
import pathlib
import re
import subprocess
import sys
import tempfile

PHY_CELL_ID = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID"


def script(count: int) -> list:
    return [
        {
            "device": f"00A0C6-FAP-LTE-LOAD{i}",
            "procedure": {
                "ConfigureBySetParameterValues": {
                    "params": [{"name": PHY_CELL_ID, "type": "unsignedInt", "value": str(i % 504)}],
                    "parameter_key": "load",
                }
            },
        }
        for i in range(1, count + 1)
    ]


def peak_kib(pid: int) -> int:
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def main(argv: list) -> int:
    binary = argv[1]
    count = int(argv[2]) if len(argv) > 2 else 10_000
    ramp = argv[3] if len(argv) > 3 else "1"
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp)
        (path / "script.json").write_text(json.dumps(script(count)))
        events = path / "events.jsonl"
        hems = subprocess.Popen(
            [binary, "hems", "--auth", "none", "--listen", "127.0.0.1:0", "--quiet"]
            + ["--duration", "120"]
            + ["--script", str(path / "script.json"), "--events", str(events)],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = hems.stderr.readline()
            url = line.strip().removeprefix("HeMS listening on ")
            if not url.startswith("http"):
                print(f"load bench: the HeMS did not start: {line}", file=sys.stderr)
                return 1
            henb = subprocess.run(
                [binary, "henb", "--hems", url, "--count", str(count), "--ramp", ramp]
                + ["--serial-prefix", "LOAD", "--stop-after-sessions", str(count)]
                + ["--shared-cr-port"]
                + ["--stats", "--duration", "100"],
                capture_output=True,
                text=True,
                check=False,
            )
            peak = peak_kib(hems.pid)
        finally:
            hems.kill()
            hems.wait()
        stats = henb.stdout.strip()
        if henb.returncode != 0 or not stats.startswith("sessions:"):
            print(f"load bench: the HeNBs failed: {henb.stderr}", file=sys.stderr)
            return 1
        done = sum(1 for e in events.read_text().splitlines() if '"Success"' in e)
        rate = float(re.search(r"([\d.]+) /s", stats).group(1))
        print(f"load run: {count} HeNBs booting over {ramp} s, each registering and configured")
        print(f"  {stats}")
        print(f"  procedures succeeded at the HeMS: {done} of {count}")
        print(f"  HeMS peak memory: {peak / 1024:.0f} MiB ({peak / count:.1f} KiB per HeNB)")
        print(f"  {rate:.0f} sessions/s, target >= 5000/s (HeMS and HeNBs share the cores)")
        return 0 if done == count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
