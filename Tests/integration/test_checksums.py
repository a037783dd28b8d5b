"""Flexible checksums with boto3: multipart COMPOSITE / FULL_OBJECT, per-part checks, the CRC64NVME default.

Every expected value is computed here from the bytes (crcutil.py), never taken from the daemon.
boto3 cannot compute CRC32C or CRC64NVME without awscrt, so part checksums are always passed as values.
"""

import pytest
from botocore.exceptions import ClientError

from crcutil import b64, composite, full_object
from itutil import MiB, client_error_code, random_bytes

pytestmark = pytest.mark.multipart

CASES = [
    ("CRC32", "FULL_OBJECT"),
    ("CRC32", "COMPOSITE"),
    ("CRC32C", "FULL_OBJECT"),
    ("CRC32C", "COMPOSITE"),
    ("CRC64NVME", "FULL_OBJECT"),
    ("SHA1", "COMPOSITE"),
    ("SHA256", "COMPOSITE"),
]


@pytest.fixture(scope="module")
def plain(server):
    """A client that adds no checksum of its own (request_checksum_calculation=when_required)."""
    return server.boto3_client(request_checksum_calculation="when_required",
                               response_checksum_validation="when_required")


def _parts():
    return [random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(123457)]


def _multipart(s3, bucket, key, algorithm, ctype, parts, *, send_part_checksums=True):
    member = "Checksum" + algorithm
    created = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, ChecksumType=ctype)
    assert created["ChecksumAlgorithm"] == algorithm
    assert created["ChecksumType"] == ctype
    uid = created["UploadId"]
    listed = []
    for n, data in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=data, **{member: b64(algorithm, data)})
        assert r[member] == b64(algorithm, data)
        entry = {"PartNumber": n, "ETag": r["ETag"]}
        if send_part_checksums:
            entry[member] = r[member]
        listed.append(entry)
    return uid, listed


@pytest.mark.parametrize("algorithm,ctype", CASES)
def test_multipart_checksum(plain, bucket, algorithm, ctype):
    s3 = plain
    key = f"mpu-{algorithm}-{ctype}"
    parts = _parts()
    member = "Checksum" + algorithm
    uid, listed = _multipart(s3, bucket, key, algorithm, ctype, parts)

    lp = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)
    assert lp["ChecksumAlgorithm"] == algorithm
    assert [p[member] for p in lp["Parts"]] == [b64(algorithm, p) for p in parts]

    expected = composite(algorithm, parts) if ctype == "COMPOSITE" else full_object(algorithm, parts)
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": listed})
    assert done[member] == expected
    assert done["ChecksumType"] == ctype

    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[member] == expected
    assert head["ChecksumType"] == ctype
    # Without checksum mode there are no checksum headers.
    assert member not in s3.head_object(Bucket=bucket, Key=key)

    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got[member] == expected
    assert got["Body"].read() == b"".join(parts)

    # ?partNumber: a COMPOSITE object answers with that part's checksum; a FULL_OBJECT one with none.
    p2 = s3.head_object(Bucket=bucket, Key=key, PartNumber=2, ChecksumMode="ENABLED")
    if ctype == "COMPOSITE":
        assert p2[member] == b64(algorithm, parts[1])
    else:
        assert member not in p2
    # A range never carries the whole object's checksum.
    assert member not in s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-9", ChecksumMode="ENABLED")


def test_full_object_checksum_sent_at_complete(plain, bucket):
    s3 = plain
    parts = _parts()
    for value, ok in ((full_object("CRC32C", parts), True), (full_object("CRC32C", parts[:2]), False)):
        uid, listed = _multipart(s3, bucket, "whole", "CRC32C", "FULL_OBJECT", parts, send_part_checksums=False)
        kw = dict(Bucket=bucket, Key="whole", UploadId=uid, MultipartUpload={"Parts": listed},
                  ChecksumCRC32C=value, ChecksumType="FULL_OBJECT", MpuObjectSize=sum(map(len, parts)))
        if ok:
            assert s3.complete_multipart_upload(**kw)["ChecksumCRC32C"] == value
        else:
            with pytest.raises(ClientError) as ei:
                s3.complete_multipart_upload(**kw)
            assert client_error_code(ei.value) == "BadDigest"
            s3.abort_multipart_upload(Bucket=bucket, Key="whole", UploadId=uid)


def test_wrong_part_checksum_at_complete_is_invalid_part(plain, bucket):
    s3 = plain
    parts = _parts()
    uid, listed = _multipart(s3, bucket, "bad", "SHA256", "COMPOSITE", parts)
    listed[1]["ChecksumSHA256"] = b64("SHA256", parts[0])
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=uid, MultipartUpload={"Parts": listed})
    assert client_error_code(ei.value) == "InvalidPart"
    # COMPOSITE: every part's checksum must be listed.
    listed[1].pop("ChecksumSHA256")
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=uid, MultipartUpload={"Parts": listed})
    assert client_error_code(ei.value) == "InvalidRequest"
    # The upload is untouched by failed completions.
    listed[1]["ChecksumSHA256"] = b64("SHA256", parts[1])
    done = s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=uid, MultipartUpload={"Parts": listed})
    assert done["ChecksumSHA256"] == composite("SHA256", parts)


def test_create_rejects_invalid_type_combinations(plain, bucket):
    for algorithm, ctype in (("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")):
        with pytest.raises(ClientError) as ei:
            plain.create_multipart_upload(Bucket=bucket, Key="x", ChecksumAlgorithm=algorithm, ChecksumType=ctype)
        assert client_error_code(ei.value) == "InvalidRequest", (algorithm, ctype)
    # The type defaults from the algorithm.
    r = plain.create_multipart_upload(Bucket=bucket, Key="x", ChecksumAlgorithm="CRC32")
    assert r["ChecksumType"] == "COMPOSITE"
    r = plain.create_multipart_upload(Bucket=bucket, Key="x", ChecksumAlgorithm="CRC64NVME")
    assert r["ChecksumType"] == "FULL_OBJECT"


def test_part_checksum_of_another_algorithm_is_rejected(plain, bucket):
    uid = plain.create_multipart_upload(Bucket=bucket, Key="m", ChecksumAlgorithm="SHA256")["UploadId"]
    data = random_bytes(1000)
    with pytest.raises(ClientError) as ei:
        plain.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=data, ChecksumCRC32=b64("CRC32", data))
    assert client_error_code(ei.value) == "InvalidRequest"
    # No checksum sent: the server computes the upload's own.
    r = plain.upload_part(Bucket=bucket, Key="m", UploadId=uid, PartNumber=1, Body=data)
    assert r["ChecksumSHA256"] == b64("SHA256", data)


def test_put_object_without_checksum_gets_crc64nvme(plain, bucket):
    data = random_bytes(300001)
    r = plain.put_object(Bucket=bucket, Key="plain", Body=data)
    assert r["ChecksumCRC64NVME"] == b64("CRC64NVME", data)
    head = plain.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == b64("CRC64NVME", data)
    assert head["ChecksumType"] == "FULL_OBJECT"
    assert "ChecksumCRC32" not in head
    # part 1 of a single-part object is the whole object.
    assert plain.head_object(Bucket=bucket, Key="plain", PartNumber=1, ChecksumMode="ENABLED")["ChecksumCRC64NVME"] \
        == b64("CRC64NVME", data)


def test_put_object_with_checksum_keeps_only_that_one(s3, bucket):
    data = random_bytes(4096)
    s3.put_object(Bucket=bucket, Key="crc32", Body=data)   # boto3's default: CRC32
    head = s3.head_object(Bucket=bucket, Key="crc32", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == b64("CRC32", data)
    assert "ChecksumCRC64NVME" not in head


def test_multipart_without_algorithm_gets_full_object_crc64nvme(plain, bucket):
    parts = _parts()
    uid = plain.create_multipart_upload(Bucket=bucket, Key="dflt")["UploadId"]
    listed = []
    for n, data in enumerate(parts, start=1):
        r = plain.upload_part(Bucket=bucket, Key="dflt", UploadId=uid, PartNumber=n, Body=data)
        assert r["ChecksumCRC64NVME"] == b64("CRC64NVME", data)
        listed.append({"PartNumber": n, "ETag": r["ETag"]})
    done = plain.complete_multipart_upload(Bucket=bucket, Key="dflt", UploadId=uid, MultipartUpload={"Parts": listed})
    assert done["ChecksumCRC64NVME"] == full_object("CRC64NVME", parts)
    assert done["ChecksumType"] == "FULL_OBJECT"
    head = plain.head_object(Bucket=bucket, Key="dflt", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == full_object("CRC64NVME", parts)
    assert head["ChecksumType"] == "FULL_OBJECT"


def test_upload_file_default_client_roundtrip(s3, bucket, tmp_path):
    """boto3's transfer manager (CRC32, COMPOSITE by default) end to end, with response validation on."""
    from boto3.s3.transfer import TransferConfig
    src = tmp_path / "f.bin"
    parts = [random_bytes(8 * MiB), random_bytes(3 * MiB)]
    src.write_bytes(b"".join(parts))
    s3.upload_file(str(src), bucket, "tm", Config=TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB))
    head = s3.head_object(Bucket=bucket, Key="tm", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == composite("CRC32", parts)
    assert s3.get_object(Bucket=bucket, Key="tm")["Body"].read() == b"".join(parts)
