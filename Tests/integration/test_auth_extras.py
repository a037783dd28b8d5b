"""Flexible checksums on put_object for every algorithm botocore offers, presigned URLs dated in
the future, and UploadPartCopy's copy-source conditions."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import zlib
from unittest import mock

import pytest
import requests
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from crcutil import crc32c, crc64nvme
from daemon import ACCESS_KEY, SECRET_KEY, client, own_daemon

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    with own_daemon(tmp_path_factory.mktemp("auth-extras"), "--min-part-size", "1") as p:
        client(p).create_bucket(Bucket="extras")
        yield p


def expected(algorithm: str, data: bytes) -> str:
    raw = {
        "CRC32": lambda: zlib.crc32(data).to_bytes(4, "big"),
        "CRC32C": lambda: crc32c(data).to_bytes(4, "big"),
        "CRC64NVME": lambda: crc64nvme(data).to_bytes(8, "big"),
        "SHA1": lambda: hashlib.sha1(data).digest(),
        "SHA256": lambda: hashlib.sha256(data).digest(),
    }[algorithm]()
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_put_object_checksum_algorithms(port, algorithm):
    s3 = client(port)
    data = os.urandom(100_000)
    r = s3.put_object(Bucket="extras", Key=f"ck-{algorithm}", Body=data, ChecksumAlgorithm=algorithm)
    assert r[f"Checksum{algorithm}"] == expected(algorithm, data)
    head = s3.head_object(Bucket="extras", Key=f"ck-{algorithm}", ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == expected(algorithm, data)
    # A wrong value sent by the client is refused and nothing is stored.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="extras", Key=f"bad-{algorithm}", Body=data, **{f"Checksum{algorithm}": expected(algorithm, b"other")})
    assert e.value.response["Error"]["Code"] in ("BadDigest", "InvalidRequest")
    with pytest.raises(ClientError):
        s3.head_object(Bucket="extras", Key=f"bad-{algorithm}")


def test_presigned_url_dated_in_the_future_is_refused(port):
    client(port).put_object(Bucket="extras", Key="f", Body=b"future")
    request = AWSRequest(method="GET", url=f"http://127.0.0.1:{port}/extras/f")
    signer = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1", expires=3600)
    later = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(hours=2)
    with mock.patch("botocore.auth.get_current_datetime", lambda: later):
        signer.add_auth(request)
    assert "X-Amz-Date=" + later.strftime("%Y%m%dT%H") in request.url
    r = requests.get(request.url)
    assert r.status_code == 403 and b"AccessDenied" in r.content


def test_upload_part_copy_conditions(port):
    s3 = client(port)
    s3.put_object(Bucket="extras", Key="src", Body=b"0123456789" * 100)
    etag = s3.head_object(Bucket="extras", Key="src")["ETag"]
    up = s3.create_multipart_upload(Bucket="extras", Key="dst")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket="extras", Key="dst", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": "extras", "Key": "src"}, CopySourceIfMatch='"0000"')
    assert e.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket="extras", Key="dst", UploadId=up, PartNumber=1,
                            CopySource={"Bucket": "extras", "Key": "src"}, CopySourceIfNoneMatch=etag)
    assert e.value.response["Error"]["Code"] == "PreconditionFailed"
    r = s3.upload_part_copy(Bucket="extras", Key="dst", UploadId=up, PartNumber=1, CopySource={"Bucket": "extras", "Key": "src"},
                            CopySourceIfMatch=etag, CopySourceRange="bytes=10-29")
    assert r["CopyPartResult"]["ETag"] == '"' + hashlib.md5(b"0123456789" * 2).hexdigest() + '"'
    s3.complete_multipart_upload(Bucket="extras", Key="dst", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket="extras", Key="dst")["Body"].read() == b"0123456789" * 2


def test_two_checksum_headers_are_refused(port):
    s3 = client(port)

    def add_second(request, **_):
        request.headers["x-amz-checksum-sha256"] = expected("SHA256", b"x")
    s3.meta.events.register_first("before-sign.s3.PutObject", add_second)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="extras", Key="two", Body=b"x", ChecksumCRC32=expected("CRC32", b"x"))
    assert e.value.response["Error"]["Code"] == "InvalidRequest"
    with pytest.raises(ClientError):
        client(port).head_object(Bucket="extras", Key="two")
