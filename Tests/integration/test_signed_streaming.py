"""Signed aws-chunked uploads (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), built by hand because no
recorded client sends them: every chunk signature is checked, one bad chunk stores nothing; plus
Content-MD5, clock skew and signature-mismatch details."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import zlib

import pytest
from botocore.exceptions import ClientError

from daemon import ACCESS_KEY, SECRET_KEY, client, own_daemon

pytestmark = pytest.mark.core
REGION = "us-east-1"
EMPTY = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(date: str) -> bytes:
    k = _hmac(("AWS4" + SECRET_KEY).encode(), date)
    for part in (REGION, "s3", "aws4_request"):
        k = _hmac(k, part)
    return k


def signed_request(port, method, path, headers, payload_hash, when=None):
    """SigV4-signs `headers` (all signed) and returns the full header dict."""
    now = when or dt.datetime.now(dt.timezone.utc)
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    h = {"host": f"127.0.0.1:{port}", "x-amz-date": amz_date, "x-amz-content-sha256": payload_hash,
         **{k.lower(): v for k, v in headers.items()}}
    names = sorted(h)
    canonical = "\n".join([method, path, "", *[f"{n}:{h[n]}" for n in names], "", ";".join(names), payload_hash])
    scope = f"{date}/{REGION}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = signing_key(date)
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    return h, key, sig, amz_date, scope


def chunked_body(data, chunk, key, seed, amz_date, scope, trailer=None, corrupt_chunk=None):
    out, prev = b"", seed
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for i, piece in enumerate(pieces):
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY, hashlib.sha256(piece).hexdigest()])
        prev = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        sent = piece
        if corrupt_chunk == i:
            sent = bytes([piece[0] ^ 1]) + piece[1:]
        out += f"{len(piece):x};chunk-signature={prev}\r\n".encode() + sent + b"\r\n"
    if trailer is not None:
        lines = "".join(f"{k}:{v}\n" for k, v in trailer)
        to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, prev, hashlib.sha256(lines.encode()).hexdigest()])
        tsig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        out = out[:-2]  # the final chunk's CRLF is followed by trailers
        out += "".join(f"{k}:{v}\r\n" for k, v in trailer).encode() + f"x-amz-trailer-signature:{tsig}\r\n\r\n".encode()
    return out


def put_streaming(port, key_name, data, *, trailer=False, corrupt_chunk=None, bad_crc=False):
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    if bad_crc:
        crc = base64.b64encode((zlib.crc32(data) ^ 1).to_bytes(4, "big")).decode()
    extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        extra["x-amz-trailer"] = "x-amz-checksum-crc32"
    path = f"/stream/{key_name}"
    h, key, seed, amz_date, scope = signed_request(port, "PUT", path, extra, mode)
    body = chunked_body(data, 64 * 1024, key, seed, amz_date, scope,
                        trailer=[("x-amz-checksum-crc32", crc)] if trailer else None, corrupt_chunk=corrupt_chunk)
    h["content-length"] = str(len(body))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("PUT", path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read(), r.headers


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    with own_daemon(tmp_path_factory.mktemp("stream")) as port:
        client(port).create_bucket(Bucket="stream")
        yield port


@pytest.mark.parametrize("trailer", [False, True])
def test_signed_chunks_store_the_decoded_payload(daemon, trailer):
    data = bytes(range(256)) * 1000 + b"tail"
    status, body, headers = put_streaming(daemon, f"ok-{trailer}", data, trailer=trailer)
    assert status == 200, body
    assert headers["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"'
    got = client(daemon).get_object(Bucket="stream", Key=f"ok-{trailer}")["Body"].read()
    assert got == data


@pytest.mark.parametrize("trailer", [False, True])
def test_one_bad_chunk_in_the_middle_stores_nothing(daemon, trailer):
    data = b"z" * (300 * 1024)
    status, body, _ = put_streaming(daemon, f"bad-{trailer}", data, trailer=trailer, corrupt_chunk=2)
    assert status == 403 and b"SignatureDoesNotMatch" in body, body
    with pytest.raises(ClientError) as e:
        client(daemon).head_object(Bucket="stream", Key=f"bad-{trailer}")
    assert e.value.response["Error"]["Code"] == "404"


def test_wrong_trailer_checksum_is_bad_digest(daemon):
    status, body, _ = put_streaming(daemon, "badcrc", b"q" * 5000, trailer=True, bad_crc=True)
    assert status == 400 and b"BadDigest" in body, body
    with pytest.raises(ClientError):
        client(daemon).head_object(Bucket="stream", Key="badcrc")


def test_content_md5_checked(daemon):
    s3 = client(daemon)
    good = base64.b64encode(hashlib.md5(b"hello").digest()).decode()
    s3.put_object(Bucket="stream", Key="md5", Body=b"hello", ContentMD5=good)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="stream", Key="md5-bad", Body=b"hello", ContentMD5=base64.b64encode(b"0" * 16).decode())
    assert e.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="stream", Key="md5-bad", Body=b"hello", ContentMD5="not-base64!")
    assert e.value.response["Error"]["Code"] == "InvalidDigest"


def test_clock_skew_and_mismatch_details(daemon):
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    h, *_ = signed_request(daemon, "GET", "/stream", {}, EMPTY, when=old)
    conn = http.client.HTTPConnection("127.0.0.1", daemon, timeout=10)
    conn.request("GET", "/stream", headers=h)
    r = conn.getresponse()
    body = r.read()
    assert r.status == 403 and b"RequestTimeTooSkewed" in body and b"<RequestId>" in body
    h, *_ = signed_request(daemon, "GET", "/stream", {}, EMPTY)
    h["authorization"] = h["authorization"][:-4] + "0000"
    conn.request("GET", "/stream", headers=h)
    r = conn.getresponse()
    body = r.read()
    assert r.status == 403 and b"SignatureDoesNotMatch" in body
    assert b"<StringToSign>" in body and b"<CanonicalRequest>" in body
