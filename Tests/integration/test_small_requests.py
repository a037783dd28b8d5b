"""Small GETs and PUTs: inline objects, presigned URLs, pipelined and closed connections.
Written for a shortcut beneath Hummingbird that is gone (one path answers every request), they
still check that plain and decorated requests get the same answers, that errors are S3's, and that
pipelined requests are answered in order."""

import base64
import hashlib
import os

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
    # If-Match: * holds: a conditional request gets the plain request's answer.
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


def test_variants_and_errors_get_s3s_answer(server, s3, v4, bucket):
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


def test_a_repeated_presigned_url_still_expires(v4, s3, bucket):
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
    general = presign(v4, bucket, "a", ResponseContentType="text/a")   # with a response override
    fast = presign(v4, bucket, "b")                                   # and without
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


def test_small_puts_keep_every_s3_answer(server, s3, v4, bucket):
    url = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=3600)
    ok = requests.put(url, data=b"p" * 1000)
    assert ok.status_code == 200 and ok.headers["ETag"] == '"%s"' % hashlib.md5(b"p" * 1000).hexdigest()
    assert ok.headers["x-amz-checksum-type"] == "FULL_OBJECT" and "Date" in ok.headers
    assert s3.get_object(Bucket=bucket, Key="p")["Body"].read() == b"p" * 1000
    # A wrong Content-MD5 is BadDigest, and the object stays as it was.
    bad = requests.put(url, data=b"q" * 1000, headers={"Content-MD5": base64.b64encode(hashlib.md5(b"x").digest()).decode()})
    assert bad.status_code == 400 and b"<Code>BadDigest</Code>" in bad.content and b"<RequestId>" in bad.content
    assert s3.get_object(Bucket=bucket, Key="p")["Body"].read() == b"p" * 1000
    # No such bucket: S3's 404 document.
    gone = v4.generate_presigned_url("put_object", Params={"Bucket": bucket + "-nope", "Key": "p"}, ExpiresIn=3600)
    missing = requests.put(gone, data=b"z")
    assert missing.status_code == 404 and b"<Code>NoSuchBucket</Code>" in missing.content
    # Signed (header auth) and empty bodies, as boto3 sends them.
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert s3.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0
    # A body past the inline size is kept in a file.
    big = bytes(range(256)) * 200  # 51,200 bytes
    assert requests.put(url, data=big).status_code == 200
    assert s3.get_object(Bucket=bucket, Key="p")["Body"].read() == big


def test_pipelined_puts_and_gets_are_answered_in_order(server, s3, v4, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"old")
    target = lambda url: url.split(str(server.port), 1)[1]
    put = lambda body: (f"PUT {target(v4.generate_presigned_url('put_object', Params={'Bucket': bucket, 'Key': 'k'}, ExpiresIn=3600))} HTTP/1.1\r\n"
                        f"Host: {server.hostport}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    get_fast = f"GET {target(presign(v4, bucket, 'k'))} HTTP/1.1\r\nHost: {server.hostport}\r\n\r\n".encode()
    get_general = f"GET {target(presign(v4, bucket, 'k', ResponseContentType='text/k'))} HTTP/1.1\r\nHost: {server.hostport}\r\n\r\n".encode()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        # Each GET must see the PUT before it: a later request is never answered (or read) first.
        sock.sendall(put(b"first") + get_fast + put(b"second!") + get_general + get_fast)
        replies = _read_responses(sock, 5)
    assert [r[0].split(" ")[1] for r in replies] == ["200"] * 5
    assert [r[2] for r in replies] == [b"", b"first", b"", b"second!", b"second!"]
    assert replies[3][1]["content-type"] == "text/k"


def test_clients_gone_before_their_puts_are_answered(server, s3, v4, bucket):
    url = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "gone"}, ExpiresIn=3600)
    request = (f"PUT {url.split(str(server.port), 1)[1]} HTTP/1.1\r\nHost: {server.hostport}\r\n"
               f"Content-Length: 4096\r\n\r\n").encode() + b"g" * 4096
    for _ in range(50):
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.sendall(request * 3)  # closed with three PUTs unanswered
    # The daemon is alive and the key holds the whole body (every PUT wrote the same one).
    s3.put_object(Bucket=bucket, Key="after", Body=b"a")
    assert s3.get_object(Bucket=bucket, Key="after")["Body"].read() == b"a"
    assert s3.get_object(Bucket=bucket, Key="gone")["Body"].read() == b"g" * 4096


def test_pipelined_requests_then_half_close_are_all_answered(server, s3, v4, bucket):
    """A client that sends its requests and then closes its side (shutdown(SHUT_WR), as `nc -N` does) still
    gets every answer, in order, and then the daemon closes the connection."""
    s3.put_object(Bucket=bucket, Key="h1", Body=b"1" * 10)
    s3.put_object(Bucket=bucket, Key="h2", Body=b"2" * 20)
    request = lambda key: (f"GET {presign(v4, bucket, key).split(str(server.port), 1)[1]} HTTP/1.1\r\n"
                           f"Host: {server.hostport}\r\n\r\n").encode()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request("h1") + request("h2") + request("h1"))
        sock.shutdown(socket.SHUT_WR)
        replies = _read_responses(sock, 3)
        assert sock.recv(1) == b""  # closed once the three are answered
    assert [r[2] for r in replies] == [b"1" * 10, b"2" * 20, b"1" * 10]


def test_a_body_left_unread_by_an_error_does_not_spill_into_the_next_request(server, s3, v4, bucket):
    """An answer given before its request body was read (a PUT to a bucket that does not exist): the rest of
    that body is read and dropped, and the next request on the connection is read from its own first byte."""
    s3.put_object(Bucket=bucket, Key="next", Body=b"n" * 30)
    body = os.urandom(3 << 20)
    put = v4.generate_presigned_url("put_object", Params={"Bucket": bucket + "-nope", "Key": "k"}, ExpiresIn=3600)
    get = presign(v4, bucket, "next")
    with socket.create_connection((server.host, server.port), timeout=20) as sock:
        sock.sendall(f"PUT {put.split(str(server.port), 1)[1]} HTTP/1.1\r\nHost: {server.hostport}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                     + f"GET {get.split(str(server.port), 1)[1]} HTTP/1.1\r\nHost: {server.hostport}\r\n\r\n".encode())
        replies = _read_responses(sock, 2)
    assert replies[0][0].split(" ")[1] == "404" and b"<Code>NoSuchBucket</Code>" in replies[0][2]
    assert replies[1][0].split(" ")[1] == "200" and replies[1][2] == b"n" * 30


def test_a_pipelined_expect_continue_waits_for_the_answers_before_it(server, s3, v4, bucket):
    """`100 Continue` for a pipelined request that expects it is sent when that request's turn comes, after
    the answers before it, never in the middle of them."""
    s3.put_object(Bucket=bucket, Key="first", Body=b"f" * 50_000)
    get = presign(v4, bucket, "first")
    put = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "second"}, ExpiresIn=3600)
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(f"GET {get.split(str(server.port), 1)[1]} HTTP/1.1\r\nHost: {server.hostport}\r\n\r\n".encode()
                     + f"PUT {put.split(str(server.port), 1)[1]} HTTP/1.1\r\nHost: {server.hostport}\r\n"
                       f"Content-Length: 6\r\nExpect: 100-continue\r\n\r\n".encode())
        data = b""
        while b"HTTP/1.1 100" not in data:
            chunk = sock.recv(65536)
            assert chunk, data[:200]
            data += chunk
        first, rest = data.split(b"\r\n\r\n", 1)
        assert first.startswith(b"HTTP/1.1 200"), first
        assert rest.startswith(b"f" * 50_000 + b"HTTP/1.1 100"), rest[:100]
        sock.sendall(b"second")
        while data.count(b"HTTP/1.1 200") < 2:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    assert s3.get_object(Bucket=bucket, Key="second")["Body"].read() == b"second"
