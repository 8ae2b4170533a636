"""Print the README's examples of one language, so that `make test` runs them.

    python tools/readme_examples.py --python | python -
    python tools/readme_examples.py --c N > example.c   (the N-th C program, from 0)
    python tools/readme_examples.py --count c           (how many C programs there are)

The Rust examples run as doctests (core/src/lib.rs includes README.md).
"""

import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(lang):
    return [
        m.group(2) for m in FENCE.finditer(README.read_text(encoding="utf-8")) if m.group(1) == lang
    ]


def main(argv):
    if len(argv) == 3 and argv[1] == "--count":
        print(len(blocks(argv[2])))
        return
    lang = {"--python": "python", "--c": "c"}.get(argv[1] if len(argv) > 1 else "")
    if not lang:
        sys.exit("usage: readme_examples.py --python | --c [N] | --count LANG")
    found = blocks(lang)
    if not found:
        sys.exit(f"README.md has no {lang} example")
    if lang == "c":
        # each C block is a program of its own
        index = int(argv[2]) if len(argv) > 2 else 0
        if index >= len(found):
            sys.exit(f"README.md has {len(found)} C examples, not {index + 1}")
        found = [found[index]]
    sys.stdout.write("\n".join(found))


if __name__ == "__main__":
    main(sys.argv)
