"""Hostile input: each answer is the right S3 error, never a 5xx or a crash, and nothing is stored."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from botocore.exceptions import ClientError

from daemon import client, own_daemon

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with own_daemon(tmp_path_factory.mktemp("hostile"), "--min-part-size", "1") as port:
        s3 = client(port)
        s3.create_bucket(Bucket="hostile")
        yield port, s3


def complete_raw(s3, key: str, upload: str, body: bytes):
    """Sends `body` as a CompleteMultipartUpload document, bypassing botocore's serializer."""
    def swap(request, **_):
        request.data = body
        request.headers["Content-Length"] = str(len(body))
    s3.meta.events.register_first("before-sign.s3.CompleteMultipartUpload", swap)
    try:
        s3.complete_multipart_upload(Bucket="hostile", Key=key, UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": "x"}]})
        return None
    except ClientError as e:
        return e.response
    finally:
        s3.meta.events.unregister("before-sign.s3.CompleteMultipartUpload", swap)


def upload_with_part(s3, key):
    up = s3.create_multipart_upload(Bucket="hostile", Key=key)["UploadId"]
    etag = s3.upload_part(Bucket="hostile", Key=key, UploadId=up, PartNumber=1, Body=b"p")["ETag"]
    return up, etag


BAD_XML = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&e;</ETag></Part></CompleteMultipartUpload>',
    "billion_laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]><CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&d;</ETag></Part></CompleteMultipartUpload>',
    "deep": b"<CompleteMultipartUpload>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</CompleteMultipartUpload>",
    "invalid_utf8": b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\xff\xfe</ETag></Part></CompleteMultipartUpload>",
    "truncated": b"<CompleteMultipartUpload><Part><PartNumber>1</PartNum",
    "negative_part": b"<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
    "huge_part": b"<CompleteMultipartUpload><Part><PartNumber>99999999999999999999999</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
    "nonnumeric_part": b"<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
    "too_many_parts": b"<CompleteMultipartUpload>" + b"".join(b"<Part><PartNumber>%d</PartNumber><ETag>x</ETag></Part>" % i for i in range(1, 10002)) + b"</CompleteMultipartUpload>",
    "empty": b"<CompleteMultipartUpload></CompleteMultipartUpload>",
}


@pytest.mark.parametrize("name", sorted(BAD_XML))
def test_bad_complete_documents_are_malformed_xml_and_store_nothing(env, name):
    port, s3 = env
    key = f"xml-{name}"
    up, _ = upload_with_part(s3, key)
    t = time.time()
    resp = complete_raw(s3, key, up, BAD_XML[name])
    assert time.time() - t < 5
    assert resp is not None and resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["Error"]["Code"] in ("MalformedXML", "InvalidArgument"), resp["Error"]
    assert "root:" not in resp["Error"].get("Message", "")
    with pytest.raises(ClientError):
        s3.head_object(Bucket="hostile", Key=key)
    assert s3.list_parts(Bucket="hostile", Key=key, UploadId=up)["Parts"]  # the upload is untouched


def test_duplicate_part_numbers_are_invalid_part_order(env):
    _, s3 = env
    up, etag = upload_with_part(s3, "dup")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket="hostile", Key="dup", UploadId=up, MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": etag}, {"PartNumber": 1, "ETag": etag}]})
    assert e.value.response["Error"]["Code"] == "InvalidPartOrder"


def test_oversized_xml_body_is_refused_without_reading_forever(env):
    port, s3 = env
    up, _ = upload_with_part(s3, "big-xml")
    body = b"<CompleteMultipartUpload>" + b" " * (20 << 20) + b"</CompleteMultipartUpload>"
    resp = complete_raw(s3, "big-xml", up, body)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["Error"]["Code"] in ("MaxMessageLengthExceeded", "MalformedXML")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "10001", "99999999999999999999"])
def test_bad_part_numbers_in_the_query(env, value):
    port, s3 = env
    up, _ = upload_with_part(s3, "q")
    r = requests.put(f"http://127.0.0.1:{port}/hostile/q", params={"partNumber": value, "uploadId": up}, data=b"x")
    # Unsigned: AccessDenied comes first for anonymous requests; signed ones get InvalidArgument.
    assert r.status_code in (400, 403)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket="hostile", Key="q", UploadId=up, PartNumber=int(value) if value.lstrip("-").isdigit() and abs(int(value)) < 2**31 else 0, Body=b"x")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"


def raw(port: int, data: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out:
                    break
        except socket.timeout:
            pass
        return out


def test_http_smuggling_and_oversized_heads_get_4xx(env):
    port, s3 = env
    both = (b"PUT /hostile/smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"0\r\n\r\nGET /hostile HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw(port, both).split(b" ")[1].startswith(b"4")
    huge_header = b"GET /hostile HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 * 1024) + b"\r\n\r\n"
    reply = raw(port, huge_header)
    assert reply == b"" or reply.split(b" ")[1].startswith(b"4")
    long_query = b"GET /hostile?" + b"a=b&" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    reply = raw(port, long_query)
    assert reply == b"" or reply.split(b" ")[1].startswith(b"4")
    # Still healthy, and nothing was stored by the smuggling attempt.
    assert s3.head_bucket(Bucket="hostile")["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError):
        s3.head_object(Bucket="hostile", Key="smuggle")


def test_stalled_and_partial_connections_do_not_block_others(env):
    port, s3 = env
    stalled = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"PUT /hostile/slow HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n")  # head never ends
        stalled.append(s)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"PUT /hostile/slow2 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")  # body never comes
    stalled.append(s)
    t = time.time()
    s3.put_object(Bucket="hostile", Key="healthy", Body=b"ok")
    assert s3.get_object(Bucket="hostile", Key="healthy")["Body"].read() == b"ok"
    assert time.time() - t < 5
    for s in stalled:
        s.close()


@pytest.mark.parametrize("rng", ["bytes=abc", "bytes=5-2", "bytes=--1", "bytes=1-2,4-5", "items=0-1", "bytes="])
def test_malformed_range_serves_the_whole_object(env, rng):
    _, s3 = env
    s3.put_object(Bucket="hostile", Key="r", Body=b"0123456789")
    r = s3.get_object(Bucket="hostile", Key="r", Range=rng)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200 and r["Body"].read() == b"0123456789"


def test_presigned_url_with_altered_method_is_refused(env):
    port, s3 = env
    s3.put_object(Bucket="hostile", Key="p", Body=b"keep")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "h", "Key": "p"}, ExpiresIn=60)
    r = requests.put(url, data=b"overwrite")
    assert r.status_code == 403 and b"SignatureDoesNotMatch" in r.content
    assert s3.get_object(Bucket="hostile", Key="p")["Body"].read() == b"keep"


def test_connections_past_the_cap_get_slowdown(tmp_path):
    with own_daemon(tmp_path, "--max-connections", "4") as port:
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        deadline = time.time() + 10   # until the daemon has accepted the four
        while (r := requests.get(f"http://127.0.0.1:{port}/", timeout=5)).status_code != 503 and time.time() < deadline:
            time.sleep(0.1)
        assert r.status_code == 503 and "<Code>SlowDown</Code>" in r.text
        for s in held:
            s.close()
        # Capacity comes back once the daemon has seen the closes.
        deadline = time.time() + 10
        while requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 503 and time.time() < deadline:
            time.sleep(0.1)
        s3 = client(port)
        assert s3.list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
