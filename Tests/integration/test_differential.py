"""Differential test: the same S3 request must get the same answer whatever its shape.

Every (operation, object size) is sent in every request *shape* — auth (SigV4 header, SigV4
presigned, SigV2 presigned, SigV2 header) x addressing (path, virtual-hosted) x transport
(HTTP/1.1 one request per connection, the same with ``Connection: close``, HTTP/1.1 pipelined on
one keep-alive connection, HTTP/1.0) — over raw sockets, signed by botocore's own signers
(``S3SigV4Auth``, ``S3SigV4QueryAuth``, ``HmacV1QueryAuth``, ``HmacV1Auth``). The daemon has (had)
two request paths, a shortcut beneath the HTTP framework and the general one; the shapes above put
the same request on both, so any difference between them shows here.

Three checks per (operation, size), each parametrized so a failure names it:

* ``test_same_answer_in_every_shape``: the normalized responses are identical across all shapes
  the operation applies to (only what legitimately varies between shapes is left out: see
  ``cross_shape_view``).
* ``test_s3_answer``: absolute expectations (status, body bytes, Content-Length, ETag, ranges,
  error codes, ...), per shape.
* ``test_matches_snapshot``: the normalized responses equal those recorded from the baseline
  daemon in ``differential_snapshot.json`` (before/after a change of request path). Record it with

      DIFFERENTIAL_RECORD=1 TESSERA_BIN=/path/to/baseline/tessera \\
          python3 -m pytest -q -p no:cacheprovider Tests/integration/test_differential.py

What is normalized (``normalize``) — values that change between runs, nothing else:
``Date``, ``x-amz-request-id`` and ``x-amz-id-2`` headers are dropped (after checking them),
``Last-Modified`` becomes ``<http-date>`` (after checking it parses), and inside error XML
``RequestId``/``HostId`` become ``<request-id>``, time values (``ServerTime``, ``Expires``,
``RequestTime``) ``<time>``, and what embeds the signing time (``StringToSign``,
``StringToSignBytes``, ``CanonicalRequest``, ``CanonicalRequestBytes``, ``SignatureProvided``)
``<signing-material>`` (and, as it holds the daemon's port, that error's length ``<varies>``).
Bodies are kept as length + sha256 (error XML as its element list).
Object data is seeded, so ETags and checksums are the same every run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import json
import os
import re
import socket
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import purge_bucket

pytestmark = pytest.mark.core

SNAPSHOT = Path(__file__).resolve().parent / "differential_snapshot.json"
RECORD = os.environ.get("DIFFERENTIAL_RECORD") == "1"

BUCKET = "tessera-differential"
INLINE_LIMIT = 32 * 1024  # Storage.inlineLimit: bodies up to this are stored inline in SQLite
SIZES = [0, 1, INLINE_LIMIT - 1, INLINE_LIMIT, INLINE_LIMIT + 1, 1024 * 1024 + 3]
CONTENT_TYPE = "application/x-tessera-differential"
SOCKET_TIMEOUT = 15.0

AUTHS = ["sigv4-header", "sigv4-query", "sigv2-query", "sigv2-header"]
ADDRESSINGS = ["path", "vhost"]
# h11: HTTP/1.1, one request per connection (keep-alive not refused); h11-close: the same with
# "Connection: close"; pipelined: one keep-alive connection per (shape, size), every request
# written before any response is read; h10: HTTP/1.0, one request per connection.
TRANSPORTS = ["h11", "h11-close", "pipelined", "h10"]
PRESIGNED = {"sigv4-query", "sigv2-query"}

# (name, method) in the order they are sent for one (shape, size); each sees the previous ones' effects.
OPERATIONS = [
    ("put", "PUT"),
    ("get", "GET"),
    ("head", "HEAD"),
    ("range-first-byte", "GET"),        # Range: bytes=0-0
    ("range-last-byte", "GET"),         # Range: bytes=-1
    ("range-suffix-beyond-size", "GET"),  # Range: bytes=-(size+10)
    ("range-unsatisfiable", "GET"),     # Range: bytes=(size+5)-
    ("if-none-match-etag", "GET"),      # -> 304
    ("if-match-mismatch", "GET"),       # -> 412
    ("bad-signature", "GET"),           # signed with the wrong secret -> 403 SignatureDoesNotMatch
    ("expired", "GET"),                 # presigned 2 h ago for 1 h -> 403 (presigned auths only)
    ("skewed", "GET"),                  # header-signed 1 h ago -> 403 RequestTimeTooSkewed (header auths only)
    ("delete", "DELETE"),
    ("get-deleted", "GET"),             # -> 404 NoSuchKey
    ("head-deleted", "HEAD"),           # -> 404, no body
]
OP_NAMES = [name for name, _ in OPERATIONS]


def applies(op: str, auth: str) -> bool:
    if op == "expired":
        return auth in PRESIGNED
    if op == "skewed":
        return auth not in PRESIGNED
    return True


def payload(size: int) -> bytes:
    """Seeded object data: the same bytes (so the same ETag) every run."""
    return hashlib.shake_256(b"tessera-differential:%d" % size).digest(size)


def key_for(size: int) -> str:
    return f"obj-{size}"


def quoted_md5(data: bytes) -> str:
    return '"%s"' % hashlib.md5(data).hexdigest()


# ---------------------------------------------------------------------------
# Known differences between shapes in the baseline (real bugs): (op, size or None for all) -> reason.
# Each becomes a strict xfail of test_same_answer_in_every_shape, so fixing the bug makes the xfail
# fail and the entry must go (and the snapshot, which recorded the bug, be recorded again).
# The baseline (the code before the shortcut's removal) showed none.
# ---------------------------------------------------------------------------
KNOWN_DIFFERENCES: dict[tuple[str, int | None], str] = {}


def _known(op: str, size: int) -> str | None:
    return KNOWN_DIFFERENCES.get((op, size)) or KNOWN_DIFFERENCES.get((op, None))


# ---------------------------------------------------------------------------
# Shapes and signing
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Shape:
    auth: str
    addressing: str
    transport: str

    @property
    def id(self) -> str:
        return f"{self.auth}/{self.addressing}/{self.transport}"


SHAPES = [Shape(a, d, t) for a in AUTHS for d in ADDRESSINGS for t in TRANSPORTS]


@contextlib.contextmanager
def signing_clock(offset: float):
    """botocore's signers see a clock `offset` seconds from now (SigV4 timestamp, SigV2 Date/Expires)."""
    if offset == 0:
        yield
        return
    at = time.time() + offset
    when = dt.datetime.fromtimestamp(at, dt.timezone.utc).replace(tzinfo=None)
    fake_time = mock.Mock(wraps=time)
    fake_time.time = lambda: at
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: when), \
         mock.patch.object(botocore.auth, "formatdate", lambda *a, **k: email.utils.formatdate(at, usegmt=True)), \
         mock.patch.object(botocore.auth, "time", fake_time):
        yield


@dataclass
class Request:
    op: str
    method: str
    target: str                 # path?query as sent
    host: str                   # Host header
    headers: list               # [(name, value)] after signing, in order
    body: bytes = b""

    def wire(self, transport: str) -> bytes:
        version = "HTTP/1.0" if transport == "h10" else "HTTP/1.1"
        lines = [f"{self.method} {self.target} {version}", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        if transport == "h11-close":
            lines.append("Connection: close")
        if self.method == "PUT":
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def sign(server, shape: Shape, method: str, key: str, *, headers=(), body=b"", secret=None,
         clock_offset: float = 0, expires: int = 3600, bucket: str = BUCKET) -> tuple[str, str, list]:
    """Signs one request the way botocore does for `shape`; returns (target, host, headers)."""
    if shape.addressing == "path":
        host = server.hostport
        path = f"/{bucket}/{key}"
    else:
        host = f"{bucket}.{server.domain}:{server.port}"
        path = f"/{key}"
    creds = Credentials(server.access_key, secret or server.secret_key)
    # A presigned URL is signed without the body (botocore would move a body into the query).
    presigned = shape.auth in PRESIGNED
    req = AWSRequest(method=method, url=f"http://{host}{path}", headers=dict(headers),
                     data=b"" if presigned else body)
    if shape.addressing == "vhost":
        req.auth_path = f"/{bucket}/{key}"  # SigV2 signs the bucket too (as botocore sets it)
    signer = {
        "sigv4-header": lambda: botocore.auth.S3SigV4Auth(creds, "s3", server.region),
        "sigv4-query": lambda: botocore.auth.S3SigV4QueryAuth(creds, "s3", server.region, expires=expires),
        "sigv2-query": lambda: botocore.auth.HmacV1QueryAuth(creds, expires=expires),
        "sigv2-header": lambda: botocore.auth.HmacV1Auth(creds),
    }[shape.auth]()
    with signing_clock(clock_offset):
        signer.add_auth(req)
    prepared = req.prepare()
    parts = urlsplit(prepared.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    out = [(k, v) for k, v in prepared.headers.items() if k.lower() not in ("host", "content-length")]
    return target, host, out


def build_requests(server, shape: Shape, size: int, etag: str) -> list[Request]:
    key = key_for(size)
    data = payload(size)
    reqs = []
    for op, method in OPERATIONS:
        if not applies(op, shape.auth):
            continue
        headers, body, kw = [], b"", {}
        if op == "put":
            headers = [("Content-Type", CONTENT_TYPE), ("x-amz-meta-seed", f"s{size}")]
            body = data
        elif op == "range-first-byte":
            headers = [("Range", "bytes=0-0")]
        elif op == "range-last-byte":
            headers = [("Range", "bytes=-1")]
        elif op == "range-suffix-beyond-size":
            headers = [("Range", f"bytes=-{size + 10}")]
        elif op == "range-unsatisfiable":
            headers = [("Range", f"bytes={size + 5}-")]
        elif op == "if-none-match-etag":
            headers = [("If-None-Match", etag)]
        elif op == "if-match-mismatch":
            headers = [("If-Match", '"00000000000000000000000000000000"')]
        elif op == "bad-signature":
            kw = dict(secret="not-the-" + server.secret_key)
        elif op == "expired":
            kw = dict(clock_offset=-7200, expires=3600)
        elif op == "skewed":
            kw = dict(clock_offset=-3600)
        target, host, signed = sign(server, shape, method, key, headers=headers, body=body, **kw)
        reqs.append(Request(op, method, target, host, signed, body))
    return reqs


# ---------------------------------------------------------------------------
# Raw HTTP exchange
# ---------------------------------------------------------------------------

@dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list                       # [(lowercased name, value)] in wire order
    body: bytes
    framing: str                        # "length", "chunked", "close" or "none"
    closed_after: bool | None = None    # the daemon closed the connection after it (None: not checked)

    def header(self, name: str) -> str | None:
        vals = [v for k, v in self.headers if k == name]
        return vals[0] if vals else None

    def all(self, name: str) -> list:
        return [v for k, v in self.headers if k == name]


def read_response(f, method: str) -> Response:
    line = f.readline(65536)
    assert line, "connection closed before a response"
    version, status, reason = (line.decode("latin-1").rstrip("\r\n").split(" ", 2) + [""])[:3]
    headers = []
    while True:
        h = f.readline(65536).decode("latin-1").rstrip("\r\n")
        if not h:
            break
        name, _, value = h.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    status = int(status)
    hd = dict(headers)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body, framing = b"", "none"
    elif "chunked" in hd.get("transfer-encoding", "").lower():
        body, framing = b"", "chunked"
        while True:
            n = int(f.readline(65536).split(b";")[0], 16)
            if n == 0:
                while f.readline(65536) not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += f.read(n)
            f.readline(65536)
    elif "content-length" in hd:
        n = int(hd["content-length"])
        body, framing = f.read(n), "length"
        assert len(body) == n, f"connection closed after {len(body)} of {n} body bytes"
    else:
        body, framing = f.read(), "close"
    return Response(version, status, reason, headers, body, framing)


def closed_by_peer(sock: socket.socket, f) -> bool:
    """True if the daemon closes the connection (EOF within 2 s) after what was read."""
    sock.settimeout(2.0)
    try:
        return f.read(1) == b""
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def exchange(server, shape: Shape, reqs: list[Request]) -> list[Response]:
    addr = ("127.0.0.1", server.port)
    if shape.transport == "pipelined":
        with socket.create_connection(addr, timeout=SOCKET_TIMEOUT) as s, s.makefile("rb") as f:
            s.sendall(b"".join(r.wire("pipelined") for r in reqs))
            return [read_response(f, r.method) for r in reqs]
    out = []
    for r in reqs:
        with socket.create_connection(addr, timeout=SOCKET_TIMEOUT) as s, s.makefile("rb") as f:
            s.sendall(r.wire(shape.transport))
            resp = read_response(f, r.method)
            if shape.transport == "h11-close" and resp.framing != "close":
                resp.closed_after = closed_by_peer(s, f)
            # h10: whether the daemon closes is test_http10_closes_the_connection's (it does not,
            # and waiting for it here would cost seconds per request).
            out.append(resp)
    return out


# ---------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------

VARYING_HEADERS = {"date", "x-amz-request-id", "x-amz-id-2"}   # dropped (checked in test_s3_answer)
XML_REDACT = {
    "RequestId": "<request-id>", "HostId": "<request-id>",
    "ServerTime": "<time>", "Expires": "<time>", "RequestTime": "<time>",
    "StringToSign": "<signing-material>", "StringToSignBytes": "<signing-material>",
    "CanonicalRequest": "<signing-material>", "CanonicalRequestBytes": "<signing-material>",
    "SignatureProvided": "<signing-material>",
}
# Error details that describe the auth mechanism itself, so differ between SigV2/SigV4 and header/query.
AUTH_DETAILS = {"StringToSign", "StringToSignBytes", "CanonicalRequest", "CanonicalRequestBytes",
                "SignatureProvided", "AWSAccessKeyId", "X-Amz-Expires", "Expires", "ServerTime",
                "RequestTime", "MaxAllowedSkewMilliseconds"}


def xml_elements(body: bytes) -> list | None:
    """[[tag, text]] of an <Error> document's children, or None if the body is not one."""
    if not body.lstrip().startswith(b"<"):
        return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag != "Error":
        return None
    return [[child.tag, child.text or ""] for child in root]


def normalize(resp: Response) -> dict:
    """The run-independent form of a response (what the snapshot stores)."""
    headers: dict[str, list] = {}
    for k, v in resp.headers:
        if k in VARYING_HEADERS:
            continue
        if k == "last-modified":
            v = "<http-date>"
        headers.setdefault(k, []).append(v)
    rec = {
        "status": resp.status,
        "reason": resp.reason,
        "version": resp.version,
        "headers": dict(sorted(headers.items())),
        "framing": resp.framing,
    }
    if resp.closed_after is not None:
        rec["closed_after"] = resp.closed_after
    elements = xml_elements(resp.body)
    if elements is not None:
        error = [[t, XML_REDACT.get(t, v)] for t, v in elements]
        length = len(resp.body)
        if any(v == "<signing-material>" for _, v in error):
            # The string to sign holds the Host header, so the daemon's port: this length varies.
            length = "<varies>"
            rec["headers"]["content-length"] = ["<varies>"]
        rec["body"] = {"length": length, "error": error}
    else:
        rec["body"] = {"length": len(resp.body), "sha256": hashlib.sha256(resp.body).hexdigest()}
    return rec


def cross_shape_view(rec: dict) -> dict:
    """What must be the same in every shape. Left out, and only these:
    * transport: the status line's version, Connection/Keep-Alive headers, and whether the daemon
      closed the connection (HTTP/1.0 and Connection: close legitimately differ there);
    * auth: error details that describe the signature checked (AUTH_DETAILS: the string to sign,
      the signature sent, the expiry) and, where those are present, the error body's length."""
    rec = json.loads(json.dumps(rec))
    rec.pop("version")
    rec.pop("closed_after", None)
    for h in ("connection", "keep-alive"):
        rec["headers"].pop(h, None)
    err = rec["body"].get("error")
    if err is not None and any(t in AUTH_DETAILS for t, _ in err):
        rec["body"]["error"] = [[t, v] for t, v in err if t not in AUTH_DETAILS]
        rec["body"].pop("length")
        rec["headers"].pop("content-length", None)
    return rec


# ---------------------------------------------------------------------------
# Running every shape
# ---------------------------------------------------------------------------

@dataclass
class Observed:
    request: Request
    response: Response
    record: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def observed(server):
    """{(op, size): {shape id: Observed}} for every shape, size and operation."""
    if not server.domain:
        pytest.fail("the differential test needs virtual-hosted addressing (--domain localhost, or "
                    "TESSERA_DOMAIN=localhost with TESSERA_ENDPOINT)", pytrace=False)
    s3 = server.boto3_client()
    purge_bucket(s3, BUCKET)
    s3.create_bucket(Bucket=BUCKET)
    results: dict[tuple[str, int], dict[str, Observed]] = {}
    try:
        for shape in SHAPES:
            for size in SIZES:
                reqs = build_requests(server, shape, size, quoted_md5(payload(size)))
                resps = exchange(server, shape, reqs)
                for req, resp in zip(reqs, resps):
                    results.setdefault((req.op, size), {})[shape.id] = Observed(req, resp, normalize(resp))
    finally:
        purge_bucket(s3, BUCKET)
    if RECORD:
        write_snapshot(results)
    return results


def write_snapshot(results) -> None:
    """records[op][size] = [{"shapes": [...], "response": normalized}], one entry per distinct answer."""
    records = {}
    for op in OP_NAMES:
        records[op] = {}
        for size in SIZES:
            groups: dict[str, dict] = {}
            for sid in sorted(results[(op, size)]):
                rec = results[(op, size)][sid].record
                g = groups.setdefault(json.dumps(rec, sort_keys=True), {"shapes": [], "response": rec})
                g["shapes"].append(sid)
            records[op][str(size)] = list(groups.values())
    SNAPSHOT.write_text(json.dumps({
        "about": "Normalized responses of the baseline daemon per operation, object size and request shape "
                 "(auth/addressing/transport); written by Tests/integration/test_differential.py with "
                 "DIFFERENTIAL_RECORD=1.",
        "bucket": BUCKET,
        "records": records,
    }, indent=1) + "\n")


def snapshot_records(snapshot: dict, op: str, size: int) -> dict:
    """{shape id: normalized response} from the snapshot."""
    return {sid: g["response"] for g in snapshot["records"][op][str(size)] for sid in g["shapes"]}


def _cases(known_marks: bool):
    for op in OP_NAMES:
        for size in SIZES:
            reason = _known(op, size) if known_marks else None
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(op, size, id=f"{op}-{size}", marks=marks)


def _diff(a: dict, b: dict, prefix: str = "") -> str:
    """The differing entries of two records (nested dicts by their keys)."""
    lines = []
    for k in sorted(set(a) | set(b)):
        x, y = a.get(k, "<absent>"), b.get(k, "<absent>")
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            lines.append(_diff(x, y, f"{prefix}{k}."))
        else:
            lines.append(f"  {prefix}{k}: {x!r}\n    vs {prefix}{k}: {y!r}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

def test_every_shape_ran(observed):
    for op in OP_NAMES:
        for size in SIZES:
            want = {s.id for s in SHAPES if applies(op, s.auth)}
            assert set(observed[(op, size)]) == want, (op, size)


@pytest.mark.parametrize("op,size", list(_cases(known_marks=True)))
def test_same_answer_in_every_shape(observed, op, size):
    by_shape = observed[(op, size)]
    groups: dict[str, list] = {}
    views = {}
    for sid, o in by_shape.items():
        view = json.dumps(cross_shape_view(o.record), sort_keys=True)
        views[view] = cross_shape_view(o.record)
        groups.setdefault(view, []).append(sid)
    if len(groups) > 1:
        ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        ref_view, ref_shapes = ordered[0]
        msg = [f"{op} of a {size}-byte object: {len(groups)} different answers across shapes",
               f"majority ({len(ref_shapes)} shapes, e.g. {ref_shapes[0]}): {ref_view}"]
        for view, shapes in ordered[1:]:
            o = by_shape[shapes[0]]
            msg.append(f"differs in {sorted(shapes)}:\n{_diff(views[ref_view], views[view])}\n"
                       f"  request: {o.request.wire(shapes[0].split('/')[2])[:600]!r}")
        pytest.fail("\n".join(msg), pytrace=False)


HTTP_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                       r"\d{4} \d\d:\d\d:\d\d GMT$")
REQUEST_ID = re.compile(r"^[0-9A-F]{16}$")


def check_s3_answer(op: str, size: int, shape: Shape, r: Response) -> None:
    data = payload(size)
    etag = quoted_md5(data)
    key = key_for(size)

    # Every response.
    assert r.version in ("HTTP/1.1", "HTTP/1.0"), r.version
    assert HTTP_DATE.match(r.header("date") or ""), f"Date {r.header('date')!r}"
    rid = r.header("x-amz-request-id") or ""
    assert REQUEST_ID.match(rid) and r.header("x-amz-id-2") == rid, (rid, r.header("x-amz-id-2"))
    assert r.header("server") == "Tessera"
    if r.framing == "length":
        assert int(r.header("content-length")) == len(r.body)
    if shape.transport == "h11-close":
        assert r.framing == "close" or r.closed_after, "connection left open after Connection: close"
    if shape.transport == "h11":
        assert r.header("connection") != "close", "HTTP/1.1 keep-alive refused"

    def ok_object(status: int, body: bytes, content_range: str | None):
        assert r.status == status, (r.status, r.body[:300])
        assert r.header("etag") == etag
        lm = r.header("last-modified") or ""
        assert HTTP_DATE.match(lm), f"Last-Modified {lm!r}"
        age = time.time() - email.utils.parsedate_to_datetime(lm).timestamp()
        assert -5 < age < 600, f"Last-Modified {lm!r} is {age:.0f} s old"
        assert r.header("content-type") == CONTENT_TYPE
        assert r.header("accept-ranges") == "bytes"
        assert r.header("x-amz-meta-seed") == f"s{size}"
        assert r.header("content-length") == str(len(body))
        assert r.header("content-range") == content_range
        if op.startswith("head"):
            assert r.body == b""
        else:
            assert len(r.body) == len(body) and r.body == body, "body differs from what was PUT"

    def error(status: int, code: str, message: str | None = None, body: bool = True):
        assert r.status == status, (r.status, r.body[:300])
        if not body:
            assert r.body == b"" and r.header("content-length") in ("0", None)
            return
        assert r.header("content-type") == "application/xml"
        elements = dict((t, v) for t, v in (xml_elements(r.body) or []))
        assert elements.get("Code") == code, r.body[:500]
        if message is not None:
            assert elements.get("Message") == message
        assert elements.get("Resource") == f"/{BUCKET}/{key}"
        assert elements.get("RequestId") == rid and elements.get("HostId") == rid

    if op == "put":
        assert r.status == 200, (r.status, r.body[:300])
        assert r.header("etag") == etag
        assert r.body == b"" and r.header("content-length") == "0"
    elif op in ("get", "head"):
        ok_object(200, data, None)
    elif op in ("range-first-byte", "range-last-byte", "range-suffix-beyond-size"):
        if size == 0:
            error(416, "InvalidRange")  # no byte range of an empty object is satisfiable
        elif op == "range-first-byte":
            ok_object(206, data[:1], f"bytes 0-0/{size}")
        elif op == "range-last-byte":
            ok_object(206, data[-1:], f"bytes {size - 1}-{size - 1}/{size}")
        else:
            ok_object(206, data, f"bytes 0-{size - 1}/{size}")
    elif op == "range-unsatisfiable":
        error(416, "InvalidRange")
    elif op == "if-none-match-etag":
        assert r.status == 304 and r.body == b""
        # S3 (and RFC 9110 §15.4.5) send the validators a 200 would carry, and no error document's type.
        assert r.header("etag") == etag and HTTP_DATE.match(r.header("last-modified") or "")
        assert r.header("content-type") is None
    elif op == "if-match-mismatch":
        error(412, "PreconditionFailed")
    elif op == "bad-signature":
        error(403, "SignatureDoesNotMatch")
    elif op == "expired":
        error(403, "AccessDenied", "Request has expired")
    elif op == "skewed":
        error(403, "RequestTimeTooSkewed")
    elif op == "delete":
        assert r.status == 204 and r.body == b""
    elif op == "get-deleted":
        error(404, "NoSuchKey", "The specified key does not exist.")
    elif op == "head-deleted":
        error(404, "NoSuchKey", body=False)
    else:
        raise AssertionError(f"no expectation for {op}")


@pytest.mark.parametrize("op,size", list(_cases(known_marks=False)))
def test_s3_answer(observed, op, size):
    failures = []
    for shape in SHAPES:
        o = observed[(op, size)].get(shape.id)
        if o is None:
            continue
        try:
            check_s3_answer(op, size, shape, o.response)
        except AssertionError as e:
            failures.append(f"{shape.id}: {e or 'assertion failed'}\n"
                            f"    status {o.response.status}, headers {o.response.headers}, "
                            f"body {o.response.body[:300]!r}")
    if op == "head":  # HEAD answers with GET's headers
        for sid, o in observed[(op, size)].items():
            g = observed[("get", size)][sid].record["headers"]
            if o.record["headers"] != g:
                failures.append(f"{sid}: HEAD headers differ from GET's:\n{_diff(g, o.record['headers'])}")
    assert not failures, f"{op} of a {size}-byte object:\n" + "\n".join(failures)


@pytest.fixture(scope="module")
def snapshot():
    if RECORD:
        pytest.skip("recording the snapshot (DIFFERENTIAL_RECORD=1)")
    if os.environ.get("TESSERA_ENDPOINT"):
        pytest.skip("the snapshot was recorded from a Tessera daemon, not an external server")
    assert SNAPSHOT.is_file(), f"{SNAPSHOT} missing: record it with DIFFERENTIAL_RECORD=1 (see the module doc)"
    return json.loads(SNAPSHOT.read_text())


@pytest.mark.parametrize("op,size", list(_cases(known_marks=False)))
def test_matches_snapshot(observed, snapshot, op, size):
    recorded = snapshot_records(snapshot, op, size)
    current = {sid: o.record for sid, o in observed[(op, size)].items()}
    msg = []
    for sid in sorted(set(recorded) | set(current)):
        if sid not in current:
            msg.append(f"{sid}: in the snapshot, not sent now")
        elif sid not in recorded:
            msg.append(f"{sid}: sent now, not in the snapshot")
        elif recorded[sid] != current[sid]:
            msg.append(f"{sid}: differs from the baseline's answer:\n{_diff(recorded[sid], current[sid])}")
    assert not msg, f"{op} of a {size}-byte object vs {SNAPSHOT.name}:\n" + "\n".join(msg)


# ---------------------------------------------------------------------------
# HTTP/1.0 persistence (the same in every shape, so not part of the comparison above)
# ---------------------------------------------------------------------------

# RFC 9112 §9.3: an HTTP/1.0 request without 'Connection: keep-alive' ends its connection after the
# response. Both request paths of the session-5 daemon left it open (the HTTP/1 -> HTTPTypes codec drops
# the request's version); the HTTP10Persistence handler fixed it in session 6.
@pytest.mark.parametrize("auth,size", [
    pytest.param("sigv4-query", 1000, id="presigned-sigv4-get-inline"),       # the shortcut's GET
    pytest.param("sigv4-query", INLINE_LIMIT + 1, id="presigned-sigv4-get-file"),
    pytest.param("sigv4-header", 1000, id="header-sigv4-get-inline"),
])
def test_http10_closes_the_connection(server, s3, bucket, auth, size):
    s3.put_object(Bucket=bucket, Key="k", Body=payload(size))
    target, host, headers = sign(server, Shape(auth, "path", "h10"), "GET", "k", bucket=bucket)
    req = Request("get", "GET", target, host, headers)
    with socket.create_connection(("127.0.0.1", server.port), timeout=SOCKET_TIMEOUT) as s, s.makefile("rb") as f:
        s.sendall(req.wire("h10"))
        r = read_response(f, "GET")
        assert r.status == 200 and r.body == payload(size)
        assert r.header("connection") == "close", r.header("connection")
        assert r.framing == "close" or closed_by_peer(s, f), (
            f"connection still open 2 s after the response; status line {r.version} {r.status}, "
            f"connection header {r.header('connection')!r}")
