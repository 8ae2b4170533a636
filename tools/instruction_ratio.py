"""Instructions per session under callgrind, for the Rust session bench and the C ABI one:
the C ABI's overhead as a repeatable count (wall-clock rates on a shared machine vary far
more than the 10% the target allows). Part of `make bench`; needs valgrind.

    python tools/instruction_ratio.py RUST_SESSION_BENCH C_SESSION_BENCH [N]
"""

import re
import shutil
import subprocess
import sys


def instructions(cmd):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def per_session(cmd_for, n):
    return (instructions(cmd_for(n)) - instructions(cmd_for(0))) / n


def main(argv):
    if shutil.which("valgrind") is None:
        print("instruction counts: valgrind not installed, skipped")
        return
    rust, c = argv[1], argv[2]
    n = int(argv[3]) if len(argv) > 3 else 200
    r = per_session(lambda k: [rust, "--count", str(k)], n)
    typed = per_session(lambda k: [c, "0", "0", str(k)], n)
    json = per_session(lambda k: [c, "0", "0", str(k), "json"], n)
    print(f"instructions per complete CM session (callgrind, {n} sessions):")
    print(f"  Rust:              {r:10.0f}")
    print(f"  C ABI, typed API:  {typed:10.0f}  (overhead {typed / r - 1:+.1%}, target <= 10%)")
    print(f"  C ABI, JSON API:   {json:10.0f}  (overhead {json / r - 1:+.1%})")


if __name__ == "__main__":
    main(sys.argv)
