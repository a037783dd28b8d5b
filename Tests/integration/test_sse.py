"""Encryption at rest (SSE-S3 and SSE-C) through real clients, against a daemon started with --master-key-file.

Proof the data really is sealed: after each write the blob files under the data directory are read and
the plaintext (a marker line repeated) must not occur in any of them; the same check finds it in a plain
object's blob, so it would catch a body stored in the clear. Range GETs across the 64 KiB block and part
boundaries return the right bytes; a flipped byte in a blob file makes GET fail instead of returning
wrong data. Without a master key, SSE requests are refused (501), never written in the clear; a missing
or malformed key file stops the daemon at start. SSE-C: the customer key is never stored, a GET without it
or with another fails as S3's does, every part names the upload's key, and plain HTTP is refused unless
--allow-insecure-sse-c (over https, the ``tls_server``, it needs no flag).
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import REPO, _managed, _session_root, purge_bucket, unique_bucket_name
from itutil import KiB, MiB, client_error_code, http_status, run

pytestmark = pytest.mark.sse

LINE = b"tessera sse plaintext marker: the quick brown fox jumps over the lazy dog 0123456789\n"
MARKER = b"sse plaintext marker"
BLOCK = 64 * KiB


def plaintext(size: int) -> bytes:
    """`size` bytes of recognizable plaintext (MARKER occurs every line)."""
    return (LINE * (size // len(LINE) + 1))[:size]


def blob_files(data_dir: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in (data_dir / "blobs").rglob("*") if p.is_file()}


def new_blobs(data_dir: Path, before: dict[Path, bytes]) -> list[Path]:
    return [p for p in blob_files(data_dir) if p not in before]


def plain_since(data_dir: Path, before: dict[Path, bytes]) -> list[Path]:
    """Blob files written since `before` that hold the plaintext (other tests' blobs may be collected meanwhile)."""
    return [p for p in new_blobs(data_dir, before) if MARKER in p.read_bytes()]


@pytest.fixture(scope="module")
def sse_server():
    """A managed daemon with --master-key-file (the key made as docs/operator-guide.md says) and
    --allow-insecure-sse-c (SSE-C over its plain HTTP, so its blob files can be checked too)."""
    with _session_root("tessera-it-sse-") as root:
        key = root / "master.key"
        run(["sh", "-c", f"umask 077 && openssl rand -base64 32 > {key}"])
        with _managed(root, extra_args=("--master-key-file", str(key), "--allow-insecure-sse-c")) as srv:
            yield srv


@pytest.fixture(scope="module")
def sse_s3(sse_server):
    return sse_server.boto3_client()


@pytest.fixture
def sse_bucket(sse_server, sse_s3):
    name = unique_bucket_name("tessera-sse")
    sse_s3.create_bucket(Bucket=name)
    yield name
    purge_bucket(sse_s3, name)


def get_range(client, bucket, key, first, last):
    return client.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")["Body"].read()


def test_single_put_is_sealed_and_reads_back_by_range(sse_server, sse_s3, sse_bucket):
    data = plaintext(3 * BLOCK + 1234)
    # A plain object first: the blob check finds its plaintext (so it would catch a clear write).
    before = blob_files(sse_server.data_dir)
    sse_s3.put_object(Bucket=sse_bucket, Key="plain", Body=data)
    assert plain_since(sse_server.data_dir, before), "the check must see a plain object's bytes"
    sse_s3.delete_object(Bucket=sse_bucket, Key="plain")
    before = blob_files(sse_server.data_dir)

    put = sse_s3.put_object(Bucket=sse_bucket, Key="secret", Body=data, ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'  # SSE-S3: the plaintext's MD5, as S3
    written = new_blobs(sse_server.data_dir, before)
    assert len(written) == 1
    assert MARKER not in written[0].read_bytes()
    assert written[0].stat().st_size > len(data)  # nonce and tag per block

    got = sse_s3.get_object(Bucket=sse_bucket, Key="secret")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    head = sse_s3.head_object(Bucket=sse_bucket, Key="secret")
    assert head["ServerSideEncryption"] == "AES256" and head["ContentLength"] == len(data)
    listed = sse_s3.list_objects_v2(Bucket=sse_bucket)["Contents"]
    assert [(o["Key"], o["Size"]) for o in listed] == [("secret", len(data))]
    for first, last in [(0, 0), (BLOCK - 3, BLOCK + 3), (BLOCK, 2 * BLOCK - 1), (5, 3 * BLOCK + 1233),
                        (3 * BLOCK, 3 * BLOCK + 1233), (2 * BLOCK - 1, 2 * BLOCK)]:
        r = sse_s3.get_object(Bucket=sse_bucket, Key="secret", Range=f"bytes={first}-{last}")
        assert r["ContentLength"] == last - first + 1
        assert r["Body"].read() == data[first:last + 1], (first, last)
    assert get_range(sse_s3, sse_bucket, "secret", len(data) - 10, len(data) + 50) == data[-10:]

    # A small body is sealed too (not kept inline in the metadata in the clear).
    small = plaintext(300)
    before = blob_files(sse_server.data_dir)
    sse_s3.put_object(Bucket=sse_bucket, Key="small", Body=small, ServerSideEncryption="AES256")
    assert sse_s3.get_object(Bucket=sse_bucket, Key="small")["Body"].read() == small
    assert len(new_blobs(sse_server.data_dir, before)) == 1 and not plain_since(sse_server.data_dir, before)
    for f in sse_server.data_dir.glob("metadata.sqlite*"):
        assert MARKER not in f.read_bytes(), f


def test_multipart_upload_is_sealed_part_by_part(sse_server, sse_s3, sse_bucket):
    parts = [plaintext(5 * MiB), plaintext(MiB + 77)]
    data = b"".join(parts)
    before = blob_files(sse_server.data_dir)
    created = sse_s3.create_multipart_upload(Bucket=sse_bucket, Key="mp", ServerSideEncryption="AES256")
    assert created["ServerSideEncryption"] == "AES256"
    uid = created["UploadId"]
    done = []
    for n, body in enumerate(parts, 1):
        r = sse_s3.upload_part(Bucket=sse_bucket, Key="mp", UploadId=uid, PartNumber=n, Body=body)
        assert r["ServerSideEncryption"] == "AES256"
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    # No plain part on disk, even before completion.
    assert len(new_blobs(sse_server.data_dir, before)) == 2 and not plain_since(sse_server.data_dir, before)
    blobs_before = set(blob_files(sse_server.data_dir))
    completed = sse_s3.complete_multipart_upload(Bucket=sse_bucket, Key="mp", UploadId=uid,
                                                 MultipartUpload={"Parts": done})
    assert completed["ServerSideEncryption"] == "AES256"
    assert completed["ETag"].strip('"').endswith("-2") and completed["ETag"] != f'"{hashlib.md5(data).hexdigest()}"'
    assert not set(blob_files(sse_server.data_dir)) - blobs_before  # a manifest: nothing copied

    got = sse_s3.get_object(Bucket=sse_bucket, Key="mp")
    assert got["ServerSideEncryption"] == "AES256" and got["ContentLength"] == len(data)
    assert got["Body"].read() == data
    p2 = sse_s3.get_object(Bucket=sse_bucket, Key="mp", PartNumber=2)
    assert p2["ContentLength"] == len(parts[1]) and p2["Body"].read() == parts[1]
    edge = len(parts[0])
    assert get_range(sse_s3, sse_bucket, "mp", edge - BLOCK - 5, edge + BLOCK + 5) == data[edge - BLOCK - 5:edge + BLOCK + 6]
    assert sse_s3.head_object(Bucket=sse_bucket, Key="mp")["ContentLength"] == len(data)


def test_copies_are_sealed_under_their_own_key(sse_server, sse_s3, sse_bucket):
    data = plaintext(BLOCK + 999)
    before = blob_files(sse_server.data_dir)
    sse_s3.put_object(Bucket=sse_bucket, Key="src", Body=data, ServerSideEncryption="AES256")
    copied = sse_s3.copy_object(Bucket=sse_bucket, Key="copy", CopySource={"Bucket": sse_bucket, "Key": "src"},
                                ServerSideEncryption="AES256")
    assert copied["ServerSideEncryption"] == "AES256"
    assert sse_s3.get_object(Bucket=sse_bucket, Key="copy")["Body"].read() == data
    assert len(new_blobs(sse_server.data_dir, before)) == 2 and not plain_since(sse_server.data_dir, before)
    # A copy to itself that only asks for encryption is allowed (S3 counts it as a change).
    sse_s3.copy_object(Bucket=sse_bucket, Key="src", CopySource={"Bucket": sse_bucket, "Key": "src"}, ServerSideEncryption="AES256")
    # Copied without asking: plain again (this bucket has no default), and readable.
    plain = sse_s3.copy_object(Bucket=sse_bucket, Key="clear", CopySource={"Bucket": sse_bucket, "Key": "src"})
    assert "ServerSideEncryption" not in plain
    got = sse_s3.get_object(Bucket=sse_bucket, Key="clear")
    assert "ServerSideEncryption" not in got and got["Body"].read() == data
    # And UploadPartCopy from a sealed source into a sealed upload.
    uid = sse_s3.create_multipart_upload(Bucket=sse_bucket, Key="pc", ServerSideEncryption="AES256")["UploadId"]
    r = sse_s3.upload_part_copy(Bucket=sse_bucket, Key="pc", UploadId=uid, PartNumber=1,
                                CopySource={"Bucket": sse_bucket, "Key": "src"}, CopySourceRange=f"bytes=10-{BLOCK + 20}")
    sse_s3.complete_multipart_upload(Bucket=sse_bucket, Key="pc", UploadId=uid,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]}]})
    assert sse_s3.get_object(Bucket=sse_bucket, Key="pc")["Body"].read() == data[10:BLOCK + 21]


def test_bucket_default_encryption(sse_server, sse_s3, sse_bucket):
    with pytest.raises(ClientError) as e:
        sse_s3.get_bucket_encryption(Bucket=sse_bucket)
    assert client_error_code(e.value) == "ServerSideEncryptionConfigurationNotFoundError" and http_status(e.value) == 404
    sse_s3.put_bucket_encryption(Bucket=sse_bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    rules = sse_s3.get_bucket_encryption(Bucket=sse_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    data = plaintext(2 * BLOCK)
    before = blob_files(sse_server.data_dir)
    put = sse_s3.put_object(Bucket=sse_bucket, Key="by-default", Body=data)
    assert put["ServerSideEncryption"] == "AES256"
    assert len(new_blobs(sse_server.data_dir, before)) == 1 and not plain_since(sse_server.data_dir, before)
    assert sse_s3.get_object(Bucket=sse_bucket, Key="by-default")["Body"].read() == data
    # SSE-KMS is not served; a malformed document is MalformedXML; neither changes the configuration.
    for config, code, status in [
            ({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}, "NotImplemented", 501),
            ({"Rules": []}, "MalformedXML", 400)]:
        with pytest.raises(ClientError) as e:
            sse_s3.put_bucket_encryption(Bucket=sse_bucket, ServerSideEncryptionConfiguration=config)
        assert client_error_code(e.value) == code and http_status(e.value) == status
    assert sse_s3.get_bucket_encryption(Bucket=sse_bucket)["ServerSideEncryptionConfiguration"]["Rules"] == rules
    sse_s3.delete_bucket_encryption(Bucket=sse_bucket)
    with pytest.raises(ClientError) as e:
        sse_s3.get_bucket_encryption(Bucket=sse_bucket)
    assert http_status(e.value) == 404
    assert "ServerSideEncryption" not in sse_s3.put_object(Bucket=sse_bucket, Key="after", Body=b"x")


def test_bad_encryption_headers_are_refused_and_store_nothing(sse_s3, sse_bucket):
    for value, code, status in [("aws:kms", "NotImplemented", 501), ("AES512", "InvalidArgument", 400)]:
        with pytest.raises(ClientError) as e:
            sse_s3.put_object(Bucket=sse_bucket, Key="k", Body=b"data", ServerSideEncryption=value)
        assert client_error_code(e.value) == code and http_status(e.value) == status
    assert "Contents" not in sse_s3.list_objects_v2(Bucket=sse_bucket)


def test_a_flipped_byte_fails_the_get(sse_server, sse_s3, sse_bucket):
    data = plaintext(2 * BLOCK + 10)
    before = blob_files(sse_server.data_dir)
    sse_s3.put_object(Bucket=sse_bucket, Key="damaged", Body=data, ServerSideEncryption="AES256")
    [blob] = new_blobs(sse_server.data_dir, before)
    raw = bytearray(blob.read_bytes())
    raw[BLOCK + 28 + 500] ^= 0x01  # in the second sealed block
    blob.write_bytes(bytes(raw))
    # The first block is intact and still reads; a read through the second fails, never returns other bytes.
    assert get_range(sse_s3, sse_bucket, "damaged", 0, 99) == data[:100]
    for kw in [{"Range": f"bytes={BLOCK}-{BLOCK + 99}"}, {}]:
        try:
            body = sse_s3.get_object(Bucket=sse_bucket, Key="damaged", **kw)["Body"].read()
        except Exception as e:  # an error status, or the connection cut short before Content-Length bytes
            body = e
        assert isinstance(body, Exception), f"a damaged block was read ({kw}): {len(body)} bytes"
    assert sse_server.proc.poll() is None


def test_aws_cli_sse_copy_round_trip(sse_server, sse_bucket, tmp_path):
    src = tmp_path / "file.txt"
    data = plaintext(9 * MiB + 5)  # above the CLI's 8 MiB threshold: a multipart upload
    src.write_bytes(data)
    before = blob_files(sse_server.data_dir)
    sse_server.aws("s3", "cp", str(src), f"s3://{sse_bucket}/cli.txt", "--sse", "AES256")
    head = sse_server.aws_json("s3api", "head-object", "--bucket", sse_bucket, "--key", "cli.txt")
    assert head["ServerSideEncryption"] == "AES256" and head["ContentLength"] == len(data)
    assert len(new_blobs(sse_server.data_dir, before)) == 2 and not plain_since(sse_server.data_dir, before)
    out = tmp_path / "back.txt"
    sse_server.aws("s3", "cp", f"s3://{sse_bucket}/cli.txt", str(out))
    assert out.read_bytes() == data


def test_without_a_master_key_sse_is_refused(server, s3, bucket):
    """The session daemon has no --master-key-file: SSE-S3 answers 501 and nothing is stored in the clear."""
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"secret", ServerSideEncryption="AES256")
    assert client_error_code(e.value) == "NotImplemented" and http_status(e.value) == 501
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ServerSideEncryption="AES256")
    assert http_status(e.value) == 501
    with pytest.raises(ClientError) as e:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    assert http_status(e.value) == 501
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_encryption(Bucket=bucket)
    assert http_status(e.value) == 404


@pytest.mark.parametrize("content", [None, "", "c2hvcnQ=\n", "not base64 at all\n"])
def test_a_missing_or_malformed_key_file_stops_the_daemon(tmp_path, content):
    binary = Path(os.environ.get("TESSERA_BIN", REPO / ".build" / "release" / "tessera")).resolve()
    key = tmp_path / "master.key"
    if content is not None:
        key.write_text(content)
    data = tmp_path / "data"
    proc = subprocess.run([str(binary), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data),
                           "--access-key", "AKIAIOSFODNN7EXAMPLE", "--secret-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                           "--master-key-file", str(key)],
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "master-key-file" in proc.stderr and str(key) in proc.stderr, proc.stderr


def test_post_object_form_field_seals_the_upload(sse_server, sse_s3, sse_bucket):
    import requests
    data = plaintext(BLOCK + 5)
    post = sse_s3.generate_presigned_post(sse_bucket, "posted", Fields={"x-amz-server-side-encryption": "AES256"},
                                          Conditions=[{"x-amz-server-side-encryption": "AES256"}], ExpiresIn=600)
    before = blob_files(sse_server.data_dir)
    with requests.Session() as http:
        http.trust_env = False
        resp = http.post(post["url"], data=post["fields"], files={"file": ("f.txt", data)}, allow_redirects=False, timeout=60)
    assert resp.status_code == 204, resp.text
    assert resp.headers["x-amz-server-side-encryption"] == "AES256"
    assert len(new_blobs(sse_server.data_dir, before)) == 1 and not plain_since(sse_server.data_dir, before)
    got = sse_s3.get_object(Bucket=sse_bucket, Key="posted")
    assert got["ServerSideEncryption"] == "AES256" and got["Body"].read() == data


# ---------------------------------------------------------------------------- SSE-C

def ssec(key: bytes, copy_source: bool = False) -> dict:
    """boto3 SSE-C parameters (boto3 base64-encodes the key and adds its MD5)."""
    prefix = "CopySourceSSECustomer" if copy_source else "SSECustomer"
    return {prefix + "Algorithm": "AES256", prefix + "Key": key}


def test_sse_c_put_get_head_range_and_errors(sse_server, sse_s3, sse_bucket):
    key, wrong = os.urandom(32), os.urandom(32)
    data = plaintext(2 * BLOCK + 300)
    before = blob_files(sse_server.data_dir)
    put = sse_s3.put_object(Bucket=sse_bucket, Key="c", Body=data, **ssec(key))
    assert put["SSECustomerAlgorithm"] == "AES256" and "ServerSideEncryption" not in put
    assert put["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(key).digest()).decode()
    assert put["ETag"] != f'"{hashlib.md5(data).hexdigest()}"'  # SSE-C: not the plaintext's MD5, as S3
    assert len(new_blobs(sse_server.data_dir, before)) == 1 and not plain_since(sse_server.data_dir, before)
    for f in sse_server.data_dir.glob("metadata.sqlite*"):  # the key is never stored
        raw = f.read_bytes()
        assert key not in raw and base64.b64encode(key) not in raw and key.hex().encode() not in raw, f

    got = sse_s3.get_object(Bucket=sse_bucket, Key="c", **ssec(key))
    assert got["SSECustomerAlgorithm"] == "AES256" and got["ContentLength"] == len(data) and got["Body"].read() == data
    assert got["ETag"] == put["ETag"]
    head = sse_s3.head_object(Bucket=sse_bucket, Key="c", **ssec(key))
    assert head["ContentLength"] == len(data) and head["SSECustomerKeyMD5"] == put["SSECustomerKeyMD5"]
    r = sse_s3.get_object(Bucket=sse_bucket, Key="c", Range=f"bytes={BLOCK - 2}-{BLOCK + 2}", **ssec(key))
    assert r["Body"].read() == data[BLOCK - 2:BLOCK + 3]

    for call in (sse_s3.get_object, sse_s3.head_object):
        with pytest.raises(ClientError) as e:
            call(Bucket=sse_bucket, Key="c")
        assert http_status(e.value) == 400, call
        with pytest.raises(ClientError) as e:
            call(Bucket=sse_bucket, Key="c", **ssec(wrong))
        assert http_status(e.value) == 403, call
    with pytest.raises(ClientError) as e:
        sse_s3.get_object(Bucket=sse_bucket, Key="c")
    assert client_error_code(e.value) == "InvalidRequest"
    # A customer key for a plain object, and a customer key beside x-amz-server-side-encryption.
    sse_s3.put_object(Bucket=sse_bucket, Key="plain", Body=b"x")
    with pytest.raises(ClientError) as e:
        sse_s3.get_object(Bucket=sse_bucket, Key="plain", **ssec(key))
    assert client_error_code(e.value) == "InvalidRequest" and http_status(e.value) == 400
    with pytest.raises(ClientError) as e:
        sse_s3.put_object(Bucket=sse_bucket, Key="both", Body=b"x", ServerSideEncryption="AES256", **ssec(key))
    assert client_error_code(e.value) == "InvalidArgument"


def test_sse_c_multipart_needs_the_same_key_for_every_part(sse_server, sse_s3, sse_bucket):
    key = os.urandom(32)
    parts = [plaintext(5 * MiB), plaintext(300 * KiB)]
    data = b"".join(parts)
    before = blob_files(sse_server.data_dir)
    created = sse_s3.create_multipart_upload(Bucket=sse_bucket, Key="mpc", **ssec(key))
    assert created["SSECustomerAlgorithm"] == "AES256"
    uid = created["UploadId"]
    for bad, status in [({}, 400), (ssec(os.urandom(32)), 403)]:
        with pytest.raises(ClientError) as e:
            sse_s3.upload_part(Bucket=sse_bucket, Key="mpc", UploadId=uid, PartNumber=1, Body=parts[0], **bad)
        assert http_status(e.value) == status
    done = []
    for n, body in enumerate(parts, 1):
        r = sse_s3.upload_part(Bucket=sse_bucket, Key="mpc", UploadId=uid, PartNumber=n, Body=body, **ssec(key))
        assert r["SSECustomerAlgorithm"] == "AES256" and r["ETag"] != f'"{hashlib.md5(body).hexdigest()}"'
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    sse_s3.complete_multipart_upload(Bucket=sse_bucket, Key="mpc", UploadId=uid, MultipartUpload={"Parts": done})
    assert not plain_since(sse_server.data_dir, before)
    assert sse_s3.get_object(Bucket=sse_bucket, Key="mpc", **ssec(key))["Body"].read() == data
    p2 = sse_s3.get_object(Bucket=sse_bucket, Key="mpc", PartNumber=2, **ssec(key))
    assert p2["Body"].read() == parts[1]


def test_sse_c_copies(sse_server, sse_s3, sse_bucket):
    key, other = os.urandom(32), os.urandom(32)
    data = plaintext(BLOCK + 17)
    sse_s3.put_object(Bucket=sse_bucket, Key="src", Body=data, **ssec(key))
    with pytest.raises(ClientError) as e:
        sse_s3.copy_object(Bucket=sse_bucket, Key="dst", CopySource={"Bucket": sse_bucket, "Key": "src"})
    assert http_status(e.value) == 400
    copied = sse_s3.copy_object(Bucket=sse_bucket, Key="dst", CopySource={"Bucket": sse_bucket, "Key": "src"},
                                **ssec(key, copy_source=True), **ssec(other))
    assert copied["SSECustomerAlgorithm"] == "AES256"
    assert sse_s3.get_object(Bucket=sse_bucket, Key="dst", **ssec(other))["Body"].read() == data
    with pytest.raises(ClientError) as e:
        sse_s3.get_object(Bucket=sse_bucket, Key="dst", **ssec(key))
    assert http_status(e.value) == 403
    to_s3 = sse_s3.copy_object(Bucket=sse_bucket, Key="dst2", CopySource={"Bucket": sse_bucket, "Key": "src"},
                               ServerSideEncryption="AES256", **ssec(key, copy_source=True))
    assert to_s3["ServerSideEncryption"] == "AES256"
    assert sse_s3.get_object(Bucket=sse_bucket, Key="dst2")["Body"].read() == data


def test_sse_c_over_https_without_the_flag(tls_server):
    client = tls_server.boto3_client()
    name = unique_bucket_name("tessera-ssec-tls")
    client.create_bucket(Bucket=name)
    try:
        key = os.urandom(32)
        data = plaintext(3000)
        client.put_object(Bucket=name, Key="k", Body=data, **ssec(key))
        assert client.get_object(Bucket=name, Key="k", **ssec(key))["Body"].read() == data
    finally:
        purge_bucket(client, name)


def test_sse_c_over_plain_http_is_refused(server, s3, bucket):
    """The session daemon serves HTTP without --allow-insecure-sse-c: 400 InvalidRequest, nothing stored."""
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k", Body=b"secret", **ssec(os.urandom(32)))
    assert client_error_code(e.value) == "InvalidRequest" and http_status(e.value) == 400
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_post_object_with_a_customer_key_is_refused(sse_s3, sse_bucket):
    import requests
    key = base64.b64encode(os.urandom(32)).decode()
    fields = {"x-amz-server-side-encryption-customer-algorithm": "AES256", "x-amz-server-side-encryption-customer-key": key}
    post = sse_s3.generate_presigned_post(sse_bucket, "posted-c", Fields=fields, Conditions=[{k: v} for k, v in fields.items()],
                                          ExpiresIn=600)
    with requests.Session() as http:
        http.trust_env = False
        resp = http.post(post["url"], data=post["fields"], files={"file": ("f.txt", b"secret")}, allow_redirects=False, timeout=60)
    assert resp.status_code == 501, resp.text
    assert "Contents" not in sse_s3.list_objects_v2(Bucket=sse_bucket)
