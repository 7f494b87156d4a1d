#!/usr/bin/env python3
"""Writes seed inputs for the fuzz harnesses into DIR/<harness>/ (default: build-fuzz/seeds).

Seeds come from the repository: the string literals of the unit tests (tests/document,
tests/config), the config fixtures, the sample template, and the Mustache specification
(../shared/mustache-spec, when present). scripts/fuzz.sh --seed merges them into
tests/fuzz/corpus/<harness>/ with libFuzzer's -merge=1, which keeps only inputs that add coverage.
"""
import hashlib, json, os, re, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-fuzz", "seeds")

def put(harness, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

LITERAL = re.compile(r'R"([^(\s]*)\((.*?)\)\1"|"((?:[^"\\\n]|\\.)*)"', re.S)

def c_unescape(s):
    out, i = bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39, "f": 12, "v": 11,
              "a": 7, "b": 8}
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                m = re.match(r"[0-9a-fA-F]+", s[i + 2:])
                out.append(int(m.group(0), 16) & 255 if m else 0)
                i += 2 + (len(m.group(0)) if m else 0)
                continue
            if n in "01234567":
                m = re.match(r"[0-7]{1,3}", s[i + 1:])
                out.append(int(m.group(0), 8) & 255)
                i += 1 + len(m.group(0))
                continue
            out.append(simple.get(n, ord(n)))
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)

def literals(path):
    text = open(path, encoding="utf-8", errors="surrogateescape").read()
    # adjacent literals ("a" "b") are joined first, roughly
    for m in LITERAL.finditer(text):
        if m.group(2) is not None:
            yield m.group(2).encode("utf-8", "surrogateescape")
        else:
            yield c_unescape(m.group(3))

def test_literals(*names):
    for n in names:
        p = os.path.join(ROOT, "tests", n)
        if os.path.exists(p):
            for lit in literals(p):
                if len(lit) >= 2:
                    yield lit

# Data readers: option bytes 0 = defaults.
for lit in test_literals("document/csv_reader_test.cpp", "document/csv_dialect_test.cpp",
                         "document/data_encoding_test.cpp"):
    put("csv", b"\0\0\0" + lit)
    put("csv", b"\x40\x08\x00" + lit)  # tiny buffer, small fields
for lit in test_literals("document/ndjson_reader_test.cpp", "document/data_encoding_test.cpp"):
    put("ndjson", b"\0\0" + lit)
for lit in test_literals("document/json_reader_test.cpp"):
    put("json_xml", b"\0\0\0" + lit)
for lit in test_literals("document/xml_reader_test.cpp"):
    put("json_xml", b"\0\0\x01" + lit)
put("json_xml", b"\0\0\x02/data/items\n" + b'{"data":{"items":[{"a":1},{"a":2}]}}')
put("json_xml", b"\0\0\x03/invoices/invoice\n" +
    b'<invoices><invoice id="1"><total>3</total></invoice></invoices>')

# Templates: flag byte, template, NUL, record JSON, NUL, partials "NAME\nBODY".
spec = os.path.join(ROOT, "..", "shared", "mustache-spec")
if not os.path.isdir(spec):
    spec = "/work/shared/mustache-spec"
for name in sorted(os.listdir(spec)) if os.path.isdir(spec) else []:
    if not name.endswith(".json"):
        continue
    for t in json.load(open(os.path.join(spec, name)))["tests"]:
        parts = [t["template"], json.dumps(t.get("data", {}))]
        parts += [k + "\n" + v for k, v in t.get("partials", {}).items()]
        put("template", "\0" + "\0".join(parts))
sample = os.path.join(ROOT, "actors", "document", "samples", "invoice.mustache")
if os.path.exists(sample):
    put("template", "\0" + open(sample).read())
    put("template", "\x01" + open(sample).read())
for lit in test_literals("document/templates_test.cpp", "document/field_usage_test.cpp"):
    if b"{{" in lit:
        put("template", b"\0" + lit)

# Content files: frames of (8-byte seq, 4-byte length, bytes).
def frames(*texts):
    return b"".join(struct.pack("<QI", i + 1, len(t)) + t for i, t in enumerate(texts))
put("content", frames(b"hello", b"", b"\x0cpage two\n"))
put("content", frames(b"x" * 100))
put("content", frames(b"a")[:-3])

# Output planning: flags, split_every, sort_by, group_by, records.
recs = "\n".join(json.dumps(r) for r in [
    {"name": "b", "n": "10", "g": "x"}, {"name": "a", "n": 2, "g": "x"},
    {"name": "c", "n": None, "g": "y y"}, {"name": "d", "g": {"k": [1]}}, {"n": "1e3", "g": "x"}])
put("output_planning", "\x01\x02n\ng\n" + recs)
put("output_planning", "\x00\x00name\n\n" + recs)
put("output_planning", "\x01\x00\ng\n" + recs)
put("output_planning", "\x00\x03a.b\n\n" + '{"a":{"b":1}}\n{"a":{"b":"2"}}\n{"a":1}')

# Config: 0 topology, 1 set, 2 duration, 3 cron, 4 endpoint, 5 database URL, 6 source.
fixtures = os.path.join(ROOT, "tests", "config", "fixtures")
for name in sorted(os.listdir(fixtures)):
    if name.endswith(".toml"):
        body = open(os.path.join(fixtures, name), "rb").read()
        put("config", b"\0" + body)
        put("config", b"\x06cleanup.retain.jobs\n" + body)
for lit in test_literals("config/topology_test.cpp", "config/topology_errors_test.cpp",
                         "config/known_keys_test.cpp"):
    if b"=" in lit and b"\n" in lit:
        put("config", b"\0" + lit)
for kv in ["scheduler.max_records_small\n4", "cleanup.retain.jobs\n\"15m\"", "cleanup.schedule\n*/5 * * * *",
           "cleanup.interval\n1h", "scheduler.merge.parallel_per_job.large\n8",
           "scheduler.weaver.expected_remote\n2", "cluster.secret_file\nx", "scheduler.merge\n1"]:
    put("config", "\x01" + kv)
for lit in test_literals("config/runtime_settings_test.cpp"):
    put("config", b"\x01" + lit)
for d in ["250ms", "15s", "15m", "24h", "2d", "0s", "9223372036854775807ms", "106751991167d"]:
    put("config", "\x02" + d)
for lit in test_literals("config/duration_test.cpp"):
    put("config", b"\x02" + lit)
for c in ["*/15 * * * *", "0 0 30 2 *", "0 3 * * mon-fri", "5,10-20/3 1 1 jan *"]:
    put("config", "\x03" + c)
for lit in test_literals("config/cron_test.cpp"):
    put("config", b"\x03" + lit)
for lit in test_literals("config/endpoint_test.cpp"):
    put("config", b"\x04" + lit)
for u in ["mariadb://weft@127.0.0.1:3306/weft\npw", "mysql://u@[::1]/db\n", "sqlite:/tmp/x.db\n",
          "sqlite::memory:\n", "mariadb://u:p@h/db\n"]:
    put("config", "\x05" + u)

# Job options (jobs.options JSON).
for o in [{"name": "invoices", "sort_by": "n", "group_by": "g", "split_every": 100},
          {"name": "j", "data": {"delimiter": ";", "quote": "'", "header": False,
                                 "columns": ["a", "b"], "skip_lines": 2, "encoding": "latin1",
                                 "record_path": "/a/b", "strict": True}},
          {"data": {"delimiter": "tab"}}, {"data": None}, {}]:
    put("job_options", json.dumps(o))
put("job_options", "not json")
