"""The Python row of `make bench`: decode and encode of the benchmark corpus through the
femtocwmp package, against the same work in Rust (the codec bench's figures of this run,
read from its output) and against lxml parsing the same bytes and extracting what the
decoder gives (every element's text, by tag), measured here.

    python tools/python_bench.py tests/bench-corpus [tests/out/bench-codec.txt]

Targets: at most 2x the Rust time on the 2,000-parameter response, at least 5x faster than
lxml. Timing is a figure to read, never a pass/fail test.
"""

import pathlib
import re
import sys
import time

from lxml import etree

import femtocwmp


def best(f, budget=0.5):
    """The best per-call time of `f` over about `budget` seconds, in 5 rounds."""
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < budget / 10:
        f()
        calls += 1
    per_round = max(1, calls * 2)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(per_round):
            f()
        times.append((time.perf_counter() - t) / per_round)
    return min(times)


def lxml_extract(data: bytes) -> int:
    """Parse, then walk every element and take its tag and text, as a decoder must."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    n = 0
    for el in root.iter():
        if el.text is not None:
            n += len(el.text)
        n += len(etree.QName(el).localname)
    return n


def rust_figures(path: pathlib.Path) -> dict:
    """{file: (decode MB/s, encode MB/s)} from the codec bench's table."""
    figures = {}
    if path.exists():
        for line in path.read_text().splitlines():
            m = re.match(r"(\S+\.xml)\s+\d+\s+\d+\s+(\d+)\s+\S+\s+(\d+)", line)
            if m:
                figures[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return figures


def main(argv):
    corpus = pathlib.Path(argv[1])
    rust = rust_figures(pathlib.Path(argv[2])) if len(argv) > 2 else {}
    print("Python package (femtocwmp) against Rust (codec bench, same run) and lxml:")
    head = f"{'message':<28} {'decode':>9} {'x Rust':>7} {'lxml':>9} {'lxml/py':>8} {'encode':>9}"
    print(head)
    print(f"{'':<28} {'MB/s':>9} {'':>7} {'MB/s':>9} {'':>8} {'MB/s':>9}")
    for path in sorted(corpus.glob("*.xml")):
        data = path.read_bytes()
        mb = len(data) / 1e6
        env = femtocwmp.decode(data)
        dec = best(lambda data=data: femtocwmp.decode(data))
        enc = best(lambda env=env: femtocwmp.encode(env))
        lx = best(lambda data=data: lxml_extract(data))
        rust_dec = rust.get(path.name, (0.0, 0.0))[0]
        vs_rust = f"{dec / (mb / rust_dec):6.2f}x" if rust_dec else "    n/a"
        print(
            f"{path.name:<28} {mb / dec:9.0f} {vs_rust:>7} {mb / lx:9.0f} "
            f"{lx / dec:7.2f}x {mb / enc:9.0f}"
        )
    print(
        "x Rust: Python decode time / Rust decode time (target <= 2x on "
        "b_gpv_response_2000); lxml/py: how many times faster than lxml (target >= 5x)"
    )


if __name__ == "__main__":
    main(sys.argv)
