"""Real clients over https (``tls_server``: the daemon with --tls-cert/--tls-key, self-signed).

Over https botocore (boto3, aws CLI) sends PutObject and UploadPart as
STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked inside HTTP chunked, with an
``x-amz-checksum-crc32`` trailer (see /work/shared/fixtures/wire/README.md).
These tests check that exactly the payload is stored (sha256, size, ETag = MD5:
no aws-chunked framing leaks into the object), that the trailer checksum is
verified and kept, and that a wrong trailer or a wrong decoded length stores
nothing.  rclone and s3cmd send plain bodies over https.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import xml.etree.ElementTree as ET
import zlib
from urllib.parse import quote, urlsplit

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import purge_bucket, unique_bucket_name
from itutil import CLIENT_TIMEOUT, KiB, MiB, make_file, md5_hex, multipart_etag_of_parts, \
    random_bytes, sha256_bytes, sha256_file, simple_etag

pytestmark = pytest.mark.core

STREAMING_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def crc32_b64(data: bytes) -> str:
    """S3's ChecksumCRC32: base64 of the big-endian 4-byte CRC-32 (zlib/IEEE)."""
    return base64.b64encode((zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")).decode()


@pytest.fixture(scope="module")
def tls_s3(tls_server):
    """boto3 over https, default checksum config (aws-chunked + CRC32 trailer for uploads)."""
    return tls_server.boto3_client()


@pytest.fixture
def tls_bucket(tls_server, tls_s3):
    name = unique_bucket_name("tessera-tls")
    tls_s3.create_bucket(Bucket=name)
    yield name
    purge_bucket(tls_s3, name)


class WireRecorder:
    """Records the headers botocore sends for the given operations (before-send hook)."""

    def __init__(self, client, *operations):
        self.headers = []
        for op in operations:
            client.meta.events.register(f"before-send.s3.{op}", self._record)

    def _record(self, request, **_):
        self.headers.append({k.lower(): (v.decode() if isinstance(v, bytes) else v)
                             for k, v in request.headers.items()})

    def assert_all_aws_chunked(self):
        assert self.headers, "no request recorded"
        for h in self.headers:
            assert h.get("x-amz-content-sha256") == STREAMING_TRAILER, h
            assert "aws-chunked" in h.get("content-encoding", ""), h
            assert h.get("x-amz-trailer") == "x-amz-checksum-crc32", h
            assert "content-length" not in h, h


def assert_object_is(client, bucket, key, payload):
    got = client.get_object(Bucket=bucket, Key=key)
    body = got["Body"].read()
    assert len(body) == len(payload)
    assert sha256_bytes(body) == sha256_bytes(payload)
    assert got["ContentLength"] == len(payload)
    return got


# --------------------------------------------------------------------------
# boto3, default config: aws-chunked with a CRC32 trailer
# --------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1 * KiB, 3 * MiB], ids=["1KiB", "3MiB"])
def test_boto3_put_object_aws_chunked_trailer(tls_s3, tls_bucket, size):
    payload = random_bytes(size)
    wire = WireRecorder(tls_s3, "PutObject")
    put = tls_s3.put_object(Bucket=tls_bucket, Key="obj.bin", Body=payload)
    wire.assert_all_aws_chunked()
    assert put["ETag"] == simple_etag(payload)
    assert put.get("ChecksumCRC32") == crc32_b64(payload)

    got = assert_object_is(tls_s3, tls_bucket, "obj.bin", payload)
    assert got["ETag"] == '"%s"' % md5_hex(payload)

    head = tls_s3.head_object(Bucket=tls_bucket, Key="obj.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == size
    assert head["ETag"] == simple_etag(payload)
    assert head.get("ChecksumCRC32") == crc32_b64(payload)


def test_boto3_upload_part_aws_chunked_trailer(tls_s3, tls_bucket):
    parts = [random_bytes(5 * MiB), random_bytes(3 * KiB)]
    wire = WireRecorder(tls_s3, "UploadPart")
    up = tls_s3.create_multipart_upload(Bucket=tls_bucket, Key="mp.bin")
    done = []
    for n, data in enumerate(parts, start=1):
        r = tls_s3.upload_part(Bucket=tls_bucket, Key="mp.bin", UploadId=up["UploadId"],
                               PartNumber=n, Body=data)
        assert r["ETag"] == simple_etag(data)
        assert r.get("ChecksumCRC32") == crc32_b64(data)
        done.append({"ETag": r["ETag"], "PartNumber": n})
    wire.assert_all_aws_chunked()

    listed = tls_s3.list_parts(Bucket=tls_bucket, Key="mp.bin", UploadId=up["UploadId"])["Parts"]
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed] == \
        [(n, len(d), simple_etag(d)) for n, d in enumerate(parts, start=1)]

    tls_s3.complete_multipart_upload(Bucket=tls_bucket, Key="mp.bin", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": done})
    whole = b"".join(parts)
    got = assert_object_is(tls_s3, tls_bucket, "mp.bin", whole)
    assert got["ETag"] == multipart_etag_of_parts(parts)


def test_boto3_when_required_over_https(tls_server, tls_bucket):
    client = tls_server.boto3_client(request_checksum_calculation="when_required")
    wire = WireRecorder(client, "PutObject", "UploadPart")
    small = random_bytes(2 * KiB)
    client.put_object(Bucket=tls_bucket, Key="small", Body=small)
    got = assert_object_is(client, tls_bucket, "small", small)
    assert got["ETag"] == simple_etag(small)

    parts = [random_bytes(5 * MiB), random_bytes(1 * KiB)]
    up = client.create_multipart_upload(Bucket=tls_bucket, Key="mp")
    done = [{"ETag": client.upload_part(Bucket=tls_bucket, Key="mp", UploadId=up["UploadId"],
                                        PartNumber=n, Body=d)["ETag"], "PartNumber": n}
            for n, d in enumerate(parts, start=1)]
    client.complete_multipart_upload(Bucket=tls_bucket, Key="mp", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": done})
    got = assert_object_is(client, tls_bucket, "mp", b"".join(parts))
    assert got["ETag"] == multipart_etag_of_parts(parts)

    # when_required: the full payload is signed (hex sha256), no aws-chunked, no trailer.
    assert len(wire.headers) == 3
    for h in wire.headers:
        assert h["x-amz-content-sha256"] not in (STREAMING_TRAILER, "UNSIGNED-PAYLOAD"), h
        assert "aws-chunked" not in h.get("content-encoding", ""), h
        assert "x-amz-trailer" not in h, h


# --------------------------------------------------------------------------
# aws CLI over https
# --------------------------------------------------------------------------

def test_aws_s3_cp_20mib_multipart_roundtrip(tls_server, tls_s3, tls_bucket, tmp_path):
    src = tmp_path / "big.bin"
    digest = make_file(src, 20 * MiB)
    tls_server.aws("s3", "cp", str(src), f"s3://{tls_bucket}/big.bin", timeout=120)
    head = tls_s3.head_object(Bucket=tls_bucket, Key="big.bin")
    assert head["ContentLength"] == 20 * MiB
    assert head["ETag"].endswith('-3"'), head["ETag"]  # 8 + 8 + 4 MiB, aws-chunked parts
    back = tmp_path / "back.bin"
    tls_server.aws("s3", "cp", f"s3://{tls_bucket}/big.bin", str(back), timeout=120)
    assert sha256_file(back) == digest


def test_aws_s3api_put_object_roundtrip(tls_server, tls_s3, tls_bucket, tmp_path):
    src = tmp_path / "small.bin"
    digest = make_file(src, 1 * KiB + 7)
    data = src.read_bytes()
    out = tls_server.aws_json("s3api", "put-object", "--bucket", tls_bucket, "--key", "s3api.bin",
                              "--body", str(src))
    assert out["ETag"] == simple_etag(data)
    back = tmp_path / "back.bin"
    got = tls_server.aws_json("s3api", "get-object", "--bucket", tls_bucket, "--key", "s3api.bin",
                              str(back))
    assert got["ContentLength"] == len(data)
    assert sha256_file(back) == digest
    head = tls_s3.head_object(Bucket=tls_bucket, Key="s3api.bin", ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32") == crc32_b64(data)


# --------------------------------------------------------------------------
# hand-built aws-chunked requests (a correct one, a wrong trailer, a wrong length)
# --------------------------------------------------------------------------

def _aws_chunked_put(srv, bucket, key, payload, *, trailer_value=None, decoded_length=None,
                     aws_chunk=64 * KiB, http_chunk=40 * KiB):
    """PUT with STREAMING-UNSIGNED-PAYLOAD-TRAILER as botocore frames it over https.

    Signed with botocore's S3SigV4Auth; sent with http.client over TLS as HTTP
    chunked whose chunks do not line up with the aws-chunks.  Returns
    (status, headers, body).
    """
    url = f"{srv.endpoint}/{bucket}/{quote(key)}"
    request = AWSRequest(method="PUT", url=url, headers={
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(payload) if decoded_length is None else decoded_length),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "x-amz-sdk-checksum-algorithm": "CRC32",
    })
    # What botocore's flexible-checksum handler sets; it makes the signer use the trailer mode.
    request.context["checksum"] = {"request_algorithm": {
        "in": "trailer", "algorithm": "crc32", "name": "x-amz-checksum-crc32"}}
    S3SigV4Auth(Credentials(srv.access_key, srv.secret_key), "s3", srv.region).add_auth(request)
    assert request.headers["X-Amz-Content-SHA256"] == STREAMING_TRAILER

    stream = bytearray()
    for i in range(0, len(payload), aws_chunk):
        chunk = payload[i:i + aws_chunk]
        stream += b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    value = crc32_b64(payload) if trailer_value is None else trailer_value
    stream += b"0\r\nx-amz-checksum-crc32:" + value.encode() + b"\r\n\r\n"

    def http_chunks():
        for i in range(0, len(stream), http_chunk):
            yield bytes(stream[i:i + http_chunk])

    ctx = ssl.create_default_context(cafile=str(srv.ca_bundle))
    conn = http.client.HTTPSConnection(srv.host, srv.port, context=ctx, timeout=CLIENT_TIMEOUT)
    try:
        headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
        # No Content-Length: http.client adds Transfer-Encoding: chunked (not signed, as botocore).
        conn.request("PUT", urlsplit(url).path, body=http_chunks(), headers=headers, encode_chunked=True)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _error_code(body: bytes) -> str:
    return ET.fromstring(body).findtext("Code") or ""


def _assert_absent(client, bucket, key):
    with pytest.raises(ClientError) as e:
        client.head_object(Bucket=bucket, Key=key)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_hand_built_aws_chunked_put_is_accepted(tls_server, tls_s3, tls_bucket):
    """Control for the two tests below: the same framing with the right values is stored."""
    payload = random_bytes(300 * KiB + 5)
    status, headers, body = _aws_chunked_put(tls_server, tls_bucket, "ok.bin", payload)
    assert status == 200, body
    assert headers["etag"] == simple_etag(payload)
    assert_object_is(tls_s3, tls_bucket, "ok.bin", payload)
    head = tls_s3.head_object(Bucket=tls_bucket, Key="ok.bin", ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32") == crc32_b64(payload)


def test_aws_chunked_wrong_crc32_trailer_is_bad_digest(tls_server, tls_s3, tls_bucket):
    payload = random_bytes(200 * KiB)
    wrong = crc32_b64(payload + b"x")
    assert wrong != crc32_b64(payload)
    status, _, body = _aws_chunked_put(tls_server, tls_bucket, "bad-crc.bin", payload,
                                       trailer_value=wrong)
    assert status == 400, body
    assert _error_code(body) == "BadDigest", body
    _assert_absent(tls_s3, tls_bucket, "bad-crc.bin")


@pytest.mark.parametrize("delta", [+100, -100], ids=["declared-longer", "declared-shorter"])
def test_aws_chunked_decoded_length_mismatch_is_incomplete_body(tls_server, tls_s3, tls_bucket, delta):
    payload = random_bytes(150 * KiB)
    status, _, body = _aws_chunked_put(tls_server, tls_bucket, "short.bin", payload,
                                       decoded_length=len(payload) + delta)
    assert status == 400, body
    assert _error_code(body) == "IncompleteBody", body
    _assert_absent(tls_s3, tls_bucket, "short.bin")


# --------------------------------------------------------------------------
# rclone and s3cmd over https
# --------------------------------------------------------------------------

def test_rclone_copy_roundtrip_https(tls_server, tls_s3, tls_bucket, tmp_path):
    src = tmp_path / "src"
    digests = {rel: make_file(src / rel, size)
               for rel, size in {"small.txt": 1 * KiB, "sub/blob.bin": 700 * KiB}.items()}
    tls_server.rclone("copy", str(src), f"t:{tls_bucket}/rc")
    keys = sorted(o["Key"] for o in tls_s3.list_objects_v2(Bucket=tls_bucket)["Contents"])
    assert keys == sorted(f"rc/{k}" for k in digests)
    back = tmp_path / "back"
    tls_server.rclone("copy", f"t:{tls_bucket}/rc", str(back))
    assert {rel: sha256_file(back / rel) for rel in digests} == digests
    tls_server.rclone("check", str(src), f"t:{tls_bucket}/rc")


def test_s3cmd_put_get_roundtrip_https(tls_server, tls_s3, tls_bucket, tmp_path):
    src = tmp_path / "up.bin"
    digest = make_file(src, 600 * KiB)
    tls_server.s3cmd("put", str(src), f"s3://{tls_bucket}/s3cmd/up.bin")
    assert tls_s3.head_object(Bucket=tls_bucket, Key="s3cmd/up.bin")["ContentLength"] == 600 * KiB
    back = tmp_path / "back.bin"
    tls_server.s3cmd("get", f"s3://{tls_bucket}/s3cmd/up.bin", str(back))
    assert sha256_file(back) == digest
