"""Instruction counts under callgrind, repeatable where wall-clock rates on a shared machine
vary by a third or more. Part of `make bench`; needs valgrind.

    python tools/instruction_ratio.py RUST_SESSION_BENCH C_SESSION_BENCH [N]
        instructions per session, Rust and through the C ABI (its overhead)
    python tools/instruction_ratio.py codec PROFILE_DECODE PROFILE_TOKENISE FILE...
        instructions per decode of each file against bare quick-xml tokenisation of it
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


def codec(decode, tokenise, files, n=10):
    print(f"instructions per message (callgrind, {n} runs each):")
    print(f"  {'message':<26} {'tokenise':>11} {'decode':>11} {'tok/dec':>8}")
    for f in files:
        tok = (instructions([tokenise, f, str(n)]) - instructions([tokenise, f, "0"])) / n
        dec = (instructions([decode, f, str(n)]) - instructions([decode, f, "0"])) / n
        name = f.rsplit("/", 1)[-1]
        print(f"  {name:<26} {tok:11.0f} {dec:11.0f} {tok / dec:7.2f}x")
    print("  tok/dec: the decode's rate against tokenisation's, as the codec bench's dec/tok,")
    print("  with the Envelope's drop counted in the decode")


def main(argv):
    if shutil.which("valgrind") is None:
        print("instruction counts: valgrind not installed, skipped")
        return
    if argv[1] == "codec":
        codec(argv[2], argv[3], argv[4:])
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
