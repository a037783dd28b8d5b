"""Presigned SigV4 GETs of small (inline) objects are answered beneath Hummingbird by InlineGetShortcut.
These check that its answers are the general path's, and that every request it must not answer (other
headers or query parameters, errors, pipelined requests) still gets S3's answer."""

import socket
import time

import pytest
import requests

from daemon import wait_for_log_line

VARYING = {"x-amz-request-id", "x-amz-id-2", "date"}


@pytest.fixture
def v4(server):
    return server.boto3_client(signature_version="s3v4")


def presign(client, bucket, key, expires=3600, **params):
    return client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key, **params}, ExpiresIn=expires)


def comparable(r):
    return {k.lower(): v for k, v in r.headers.items() if k.lower() not in VARYING}


def test_answers_are_the_general_paths(server, s3, v4, bucket):
    body = bytes(range(256)) * 16
    s3.put_object(Bucket=bucket, Key="small", Body=body, ContentType="text/plain", CacheControl="max-age=60",
                  Metadata={"colour": "blue"})
    url = presign(v4, bucket, "small")
    fast = requests.get(url)
    # If-Match: * holds, but the shortcut leaves conditionals to S3Service: the general path's answer.
    general = requests.get(url, headers={"If-Match": "*"})
    assert fast.status_code == general.status_code == 200
    assert fast.content == general.content == body
    assert comparable(fast) == comparable(general)
    assert fast.headers["x-amz-meta-colour"] == "blue" and fast.headers["Cache-Control"] == "max-age=60"
    assert fast.headers["x-amz-request-id"] == fast.headers["x-amz-id-2"] != general.headers["x-amz-request-id"]
    assert "GMT" in fast.headers["Date"]
    line = wait_for_log_line(server.stderr_path, lambda l: fast.headers["x-amz-request-id"] in l)
    for field in ("GetObject", "status=200", "bytes-out=4096", "key=small"):
        assert field in line


def test_what_it_does_not_answer_still_gets_s3s_answer(server, s3, v4, bucket):
    s3.put_object(Bucket=bucket, Key="small", Body=b"0123456789")
    ranged = requests.get(presign(v4, bucket, "small"), headers={"Range": "bytes=2-4"})
    assert ranged.status_code == 206 and ranged.content == b"234"
    override = requests.get(presign(v4, bucket, "small", ResponseContentType="image/png"))
    assert override.status_code == 200 and override.headers["Content-Type"] == "image/png"
    missing = requests.get(presign(v4, bucket, "nope"))
    assert missing.status_code == 404 and b"<Code>NoSuchKey</Code>" in missing.content and b"<RequestId>" in missing.content
    forged = presign(v4, bucket, "small").replace("X-Amz-Signature=", "X-Amz-Signature=0")
    denied = requests.get(forged)
    assert denied.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in denied.content
    unsigned = requests.get(presign(v4, bucket, "small"), headers={"x-amz-meta-extra": "1"})
    assert unsigned.status_code == 403 and b"<Code>AccessDenied</Code>" in unsigned.content


def test_a_cached_signature_still_expires(v4, s3, bucket):
    s3.put_object(Bucket=bucket, Key="small", Body=b"short-lived")
    url = presign(v4, bucket, "small", expires=1)
    assert requests.get(url).content == b"short-lived"
    time.sleep(2.1)
    late = requests.get(url)
    assert late.status_code == 403 and b"Request has expired" in late.content


def _read_responses(sock, count):
    """Reads `count` HTTP responses with Content-Length bodies: [(status line, headers, body)]."""
    data, out = b"", []
    while len(out) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(out)} responses"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
        n = int(headers.get("content-length", "0"))
        while len(data) < n:
            data += sock.recv(65536)
        out.append((lines[0], headers, data[:n]))
        data = data[n:]
    return out


def test_pipelined_requests_are_answered_in_order(server, s3, v4, bucket):
    s3.put_object(Bucket=bucket, Key="a", Body=b"A" * 100)
    s3.put_object(Bucket=bucket, Key="b", Body=b"B" * 200)
    target = lambda url: url.split(str(server.port), 1)[1]
    general = presign(v4, bucket, "a", ResponseContentType="text/a")   # S3Service answers this one
    fast = presign(v4, bucket, "b")                                   # and the shortcut this one
    request = lambda url: f"GET {target(url)} HTTP/1.1\r\nHost: {server.hostport}\r\n\r\n".encode()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request(general) + request(fast) + request(general))
        replies = _read_responses(sock, 3)
    assert [r[2] for r in replies] == [b"A" * 100, b"B" * 200, b"A" * 100]
    assert [r[1]["content-type"] for r in replies] == ["text/a", "binary/octet-stream", "text/a"]


def test_connection_close_is_honoured(server, s3, v4, bucket):
    s3.put_object(Bucket=bucket, Key="c", Body=b"C" * 10)
    target = presign(v4, bucket, "c").split(str(server.port), 1)[1]
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {server.hostport}\r\nConnection: close\r\n\r\n".encode())
        (status, _, body), = _read_responses(sock, 1)
        assert status.startswith("HTTP/1.1 200") and body == b"C" * 10
        assert sock.recv(1) == b""  # closed by the daemon
