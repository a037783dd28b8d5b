"""Replays the requests recorded from real clients (Fixtures/wire/*.jsonl) byte for byte.

Each file gets a fresh daemon started with clock-skew and presign-expiry checks off (the recorded
X-Amz-Date values are old). Every request whose body was recorded must pass authentication (its
signature was made by the real client), answer the status S3 gave, and — for uploads — store
exactly the decoded payload: aws-chunked framing must never leak into an object.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket

import pytest

from daemon import REPO, client, own_daemon

pytestmark = pytest.mark.core

FIXTURES = sorted(p for p in (REPO / "Fixtures" / "wire").glob("*.jsonl") if not p.name.startswith("r2json"))

# Requests that name the recording's upload IDs reach an upload this daemon never created.
UPLOAD_ID_OPS = {"UploadPart", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload"}


def read_response(sock: socket.socket, method: str) -> tuple[int, bytes]:
    """Reads one HTTP/1.1 response (skipping 100 Continue); returns (status, body)."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before a response head; got {buf!r}"
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status == 100:
            continue
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        if method == "HEAD" or status in (204, 304):
            return status, b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                while b"\r\n" not in buf:
                    buf += sock.recv(65536)
                size_line, buf = buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(buf) < size + 2:
                    buf += sock.recv(65536)
                body += buf[:size]
                buf = buf[size + 2:]
                if size == 0:
                    return status, body
        length = int(headers.get("content-length", "0"))
        while len(buf) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed mid-body"
            buf += chunk
        return status, buf[:length]


def send(port: int, record: dict) -> tuple[int, bytes]:
    wire = record["head_raw"].encode("latin-1") + base64.b64decode(record["body"].get("b64", ""))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(wire)
        return read_response(s, record["method"])


@pytest.fixture(params=FIXTURES, ids=lambda p: p.stem)
def replay_daemon(request, tmp_path):
    with own_daemon(tmp_path, "--domain", "localhost", "--max-clock-skew", "0") as port:
        yield request.param, port


def signed_get(port: int, record: dict) -> bytes:
    """GETs the object a recorded PutObject wrote, signing anew (boto3)."""
    host = dict((k.lower(), v) for k, v in record["headers"])["host"]
    virtual = host.startswith("wire-bucket.")
    path = record["target"].split("?")[0]
    key = path.lstrip("/") if virtual else path.split("/", 2)[2]
    from urllib.parse import unquote
    return client(port).get_object(Bucket="wire-bucket", Key=unquote(key))["Body"].read()


def test_replay_recorded_client(replay_daemon):
    path, port = replay_daemon
    replayed = verified_uploads = 0
    stored_paths = set()  # objects this replay actually wrote (multipart ones cannot complete here)
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if "b64" not in r["body"] and r["body"]["length"] > 0:
            continue  # body too large to have been recorded
        if r["op"] == "PostObject":
            continue  # browser form uploads: their own suite
        status, body = send(port, r)
        replayed += 1
        what = f"{path.name} seq {r['seq']} {r['op']} {r['request_line']}: {status} {body[:400]!r}"
        assert status != 403, "signature of a real client rejected: " + what
        expected = r["response"]["status"]
        if r["op"] in UPLOAD_ID_OPS:
            assert status == 404 and b"NoSuchUpload" in body, what
        elif r["op"] in ("HeadObject", "GetObject") and r["target"].split("?")[0] not in stored_paths:
            assert status == 404, what
        elif r["op"] == "CreateBucket" and status == 409:
            assert b"BucketAlreadyOwnedByYou" in body, what  # rclone creates the bucket before each upload
        else:
            assert status == expected, what
        if r["op"] == "PutObject" and status == 200:
            stored_paths.add(r["target"].split("?")[0])
            stored = signed_get(port, r)
            if "aws_chunked" in r:
                assert hashlib.sha256(stored).hexdigest() == r["aws_chunked"]["decoded_sha256"], "aws-chunked framing leaked: " + what
                assert len(stored) == r["aws_chunked"]["decoded_length"], what
            else:
                assert stored == base64.b64decode(r["body"]["b64"]), what
            verified_uploads += 1
    assert replayed >= 5 and verified_uploads >= 1, (replayed, verified_uploads)
