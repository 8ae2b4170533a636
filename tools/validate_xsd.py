"""Validate CWMP envelopes against the BBF schemas, offline, with lxml.

    python tools/validate_xsd.py [--expect-fail] FILE_OR_DIR...

Each file is checked against the schema of the urn:dslforum-org:cwmp-1-N namespace it
declares (1-0 -> cwmp-1-0.xsd, 1-1 -> cwmp-1-1.xsd, 1-2 -> cwmp-1-4.xsd, which includes 1-2
and 1-3), as tests/xsd/validate.sh does with xmllint. The OASIS catalog in tests/xsd maps the
schemas' remote imports to local copies, so no network is used. Exits 1 if any file fails.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
XSD = os.path.join(HERE, "..", "tests", "xsd")
os.environ["XML_CATALOG_FILES"] = os.path.join(XSD, "catalog.xml")

from lxml import etree  # noqa: E402  (the catalog must be set before libxml2 loads)

SCHEMA_FOR = {"0": "cwmp-1-0.xsd", "1": "cwmp-1-1.xsd", "2": "cwmp-1-4.xsd"}
NS = re.compile(rb"urn:dslforum-org:cwmp-1-([0-9])")
_schemas = {}


def schema(name):
    if name not in _schemas:
        parser = etree.XMLParser(no_network=True)
        _schemas[name] = etree.XMLSchema(etree.parse(os.path.join(XSD, name), parser))
    return _schemas[name]


def validate(path):
    """Return None if `path` validates, else the error text."""
    with open(path, "rb") as fh:
        data = fh.read()
    m = NS.search(data)
    if not m or m.group(1).decode() not in SCHEMA_FOR:
        return "no BBF cwmp namespace (1-0, 1-1 or 1-2) declared"
    s = schema(SCHEMA_FOR[m.group(1).decode()])
    doc = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
    if s.validate(etree.ElementTree(doc)):
        return None
    return "; ".join(f"line {e.line}: {e.message}" for e in s.error_log)


def main(args):
    expect_fail = "--expect-fail" in args
    args = [a for a in args if a != "--expect-fail"]
    files = []
    for a in args:
        if os.path.isdir(a):
            files += sorted(os.path.join(a, f) for f in os.listdir(a) if f.endswith(".xml"))
        else:
            files.append(a)
    failed = 0
    for f in files:
        err = validate(f)
        if expect_fail:
            if err is None:
                failed += 1
                print(f"FAIL {f}: validated, but it is invalid on purpose")
        elif err:
            failed += 1
            print(f"FAIL {f}: {err}")
    what = "invalid fixtures refused" if expect_fail else "schema validation"
    print(f"{what}: {len(files) - failed} passed, {failed} failed")
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
