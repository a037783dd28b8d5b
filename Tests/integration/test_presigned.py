"""boto3 presigned URLs (SigV2 by default in us-east-1, SigV4 with s3v4) used with curl."""

import time

import pytest

from itutil import KiB, MiB, ODD_KEY, make_file, sha256_bytes, sha256_file

pytestmark = pytest.mark.presigned

# signature_version=None is botocore's default, which presigns S3 in us-east-1 with
# SigV2 query auth (?AWSAccessKeyId=&Signature=&Expires=).
SIGNERS = {"sigv2-default": {}, "sigv4": {"signature_version": "s3v4"}}


@pytest.fixture(params=list(SIGNERS))
def signer(request, server):
    """(name, boto3 client) pair used only to generate presigned URLs."""
    return request.param, server.boto3_client(**SIGNERS[request.param])


def _presign(client, method, bucket, key, expires=3600):
    return client.generate_presigned_url(method, Params={"Bucket": bucket, "Key": key},
                                         ExpiresIn=expires)


def _curl_status(server, tmp_path, *args):
    """Run curl without failing on HTTP errors; return (status, body bytes)."""
    body = tmp_path / f"body-{time.monotonic_ns()}"
    r = server.curl("--output", str(body), "--write-out", "%{http_code}", *args, check=False)
    assert r.returncode in (0, 22), r.stderr  # 22: HTTP >= 400 with --fail-with-body
    return int(r.stdout.decode().strip() or 0), body.read_bytes() if body.exists() else b""


def test_presigned_url_shape(signer, bucket):
    name, client = signer
    url = _presign(client, "get_object", bucket, "k")
    if name == "sigv4":
        for p in ("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Credential=", "X-Amz-Date=",
                  "X-Amz-Expires=3600", "X-Amz-SignedHeaders=host", "X-Amz-Signature="):
            assert p in url
    else:
        for p in ("AWSAccessKeyId=", "Signature=", "Expires="):
            assert p in url
        assert "X-Amz-" not in url


@pytest.mark.parametrize("key,size", [(ODD_KEY, 1 * KiB), ("presigned/big.bin", 2 * MiB)],
                         ids=["odd-key-1KiB", "2MiB"])
def test_presigned_put_then_get_with_curl(server, s3, signer, bucket, tmp_path, key, size):
    _, client = signer
    src = tmp_path / "src.bin"
    digest = make_file(src, size)

    put_url = _presign(client, "put_object", bucket, key)
    server.curl("--upload-file", str(src), put_url)
    # the object is really there, byte for byte
    assert sha256_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) == digest

    get_url = _presign(client, "get_object", bucket, key)
    out = tmp_path / "out.bin"
    server.curl("--output", str(out), get_url)
    assert sha256_file(out) == digest


def test_presigned_get_range_with_curl(server, s3, signer, bucket, tmp_path):
    _, client = signer
    s3.put_object(Bucket=bucket, Key="r.txt", Body=b"0123456789abcdef")
    out = tmp_path / "out"
    server.curl("--range", "4-9", "--output", str(out), _presign(client, "get_object", bucket, "r.txt"))
    assert out.read_bytes() == b"456789"


def test_expired_presigned_url_is_access_denied(server, s3, signer, bucket, tmp_path):
    _, client = signer
    s3.put_object(Bucket=bucket, Key="exp.txt", Body=b"soon gone")
    url = _presign(client, "get_object", bucket, "exp.txt", expires=1)
    time.sleep(2.5)
    status, body = _curl_status(server, tmp_path, url)
    assert status == 403, body
    assert b"<Code>AccessDenied</Code>" in body, body


def test_presigned_url_with_altered_key_is_signature_mismatch(server, s3, signer, bucket, tmp_path):
    _, client = signer
    s3.put_object(Bucket=bucket, Key="signed.txt", Body=b"signed")
    s3.put_object(Bucket=bucket, Key="other.txt", Body=b"other")
    url = _presign(client, "get_object", bucket, "signed.txt")
    assert f"/{bucket}/signed.txt?" in url
    status, body = _curl_status(server, tmp_path, url.replace("/signed.txt?", "/other.txt?"))
    assert status == 403, body
    assert b"<Code>SignatureDoesNotMatch</Code>" in body, body
    assert b"other" not in body.replace(b"other.txt", b"")


def test_presigned_put_with_altered_key_stores_nothing(server, s3, signer, bucket, tmp_path):
    _, client = signer
    src = tmp_path / "src"
    src.write_bytes(b"should not land")
    url = _presign(client, "put_object", bucket, "allowed.txt")
    status, body = _curl_status(server, tmp_path, "--upload-file", str(src),
                                url.replace("/allowed.txt?", "/sneaky.txt?"))
    assert status == 403, body
    assert b"<Code>SignatureDoesNotMatch</Code>" in body, body
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("operation", ["list_objects", "list_objects_v2", "get_bucket_location", "list_multipart_uploads"])
def test_presigned_bucket_level_requests_with_curl(server, s3, signer, bucket, tmp_path, operation):
    """Requests on the bucket itself, presigned: botocore's SigV2 signs "/bucket/" for a path it sends as "/bucket"."""
    s3.put_object(Bucket=bucket, Key="listed", Body=b"x")
    _, client = signer
    url = client.generate_presigned_url(operation, Params={"Bucket": bucket}, ExpiresIn=600)
    status, body = _curl_status(server, tmp_path, url)
    assert status == 200, body
    if operation.startswith("list_objects"):
        assert b"<Key>listed</Key>" in body
    # The signature still covers the sub-resource: the same signature on another one is refused.
    other = url.replace("?location", "?uploads") if "location" in url else url.replace(f"/{bucket}?", f"/{bucket}?location&", 1)
    status, body = _curl_status(server, tmp_path, other)
    assert status == 403 and b"SignatureDoesNotMatch" in body, body
