"""Multipart uploads with every client: aws CLI (s3 cp + s3api), boto3, rclone, s3cmd."""

import json
import threading

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from itutil import (
    KiB, MULTIPART_ETAG_RE, MiB, client_error_code, http_status, make_file, md5_hex,
    multipart_etag_of_file, multipart_etag_of_parts, random_bytes, sha256_bytes, sha256_file,
)

pytestmark = pytest.mark.multipart


def _assert_multipart_etag(etag, expected_parts, expected=None):
    m = MULTIPART_ETAG_RE.match(etag)
    assert m, f"ETag {etag!r} is not of the form \"<32 hex>-N\""
    assert int(m.group(1)) == expected_parts
    if expected is not None:
        assert etag == expected


def _start_upload(s3, bucket, key, **kw):
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kw)["UploadId"]


def _upload_parts(s3, bucket, key, upload_id, parts):
    """Upload ``parts`` (list of bytes) as 1..N; return the Parts list for completion."""
    out = []
    for n, data in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=data)
        assert r["ETag"] == '"%s"' % md5_hex(data)
        out.append({"PartNumber": n, "ETag": r["ETag"]})
    return out


def _complete_error(s3, bucket, key, upload_id, parts):
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})
    return client_error_code(ei.value), http_status(ei.value)


# ------------------------------------------------------------------- aws CLI

def test_aws_s3_cp_40MiB_multipart(server, s3, bucket, tmp_path):
    src = tmp_path / "big.bin"
    digest = make_file(src, 40 * MiB)
    server.aws("s3", "cp", str(src), f"s3://{bucket}/big.bin", timeout=120)
    head = server.aws_json("s3api", "head-object", "--bucket", bucket, "--key", "big.bin")
    assert head["ContentLength"] == 40 * MiB
    # aws CLI defaults: multipart_threshold = multipart_chunksize = 8 MiB -> 5 parts
    _assert_multipart_etag(head["ETag"], 5, multipart_etag_of_file(src, 8 * MiB))
    dst = tmp_path / "back.bin"
    server.aws("s3", "cp", f"s3://{bucket}/big.bin", str(dst), timeout=120)
    assert sha256_file(dst) == digest


def test_aws_s3api_multipart_flow(server, bucket, tmp_path):
    key = "mpu/s3api.bin"
    p1, p2 = tmp_path / "p1", tmp_path / "p2"
    make_file(p1, 5 * MiB)
    make_file(p2, 3 * KiB)

    upload_id = server.aws_json("s3api", "create-multipart-upload", "--bucket", bucket,
                                "--key", key)["UploadId"]
    assert upload_id
    etags = []
    for n, p in ((1, p1), (2, p2)):
        r = server.aws_json("s3api", "upload-part", "--bucket", bucket, "--key", key,
                            "--part-number", str(n), "--upload-id", upload_id, "--body", str(p))
        assert r["ETag"] == '"%s"' % md5_hex(p.read_bytes())
        etags.append(r["ETag"])

    lp = server.aws_json("s3api", "list-parts", "--bucket", bucket, "--key", key,
                         "--upload-id", upload_id, "--no-paginate")
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in lp["Parts"]] == [
        (1, 5 * MiB, etags[0]), (2, 3 * KiB, etags[1])]
    assert lp["UploadId"] == upload_id and lp["Key"] == key

    spec = tmp_path / "complete.json"
    spec.write_text(json.dumps({"Parts": [{"ETag": e, "PartNumber": n}
                                          for n, e in enumerate(etags, start=1)]}))
    done = server.aws_json("s3api", "complete-multipart-upload", "--bucket", bucket, "--key", key,
                           "--upload-id", upload_id, "--multipart-upload", f"file://{spec}")
    expected = multipart_etag_of_parts([p1.read_bytes(), p2.read_bytes()])
    _assert_multipart_etag(done["ETag"], 2, expected)
    assert done["Key"] == key and done["Bucket"] == bucket

    out = tmp_path / "out"
    server.aws("s3api", "get-object", "--bucket", bucket, "--key", key, str(out))
    assert out.read_bytes() == p1.read_bytes() + p2.read_bytes()
    # a completed upload is no longer listed
    ups = server.aws_json("s3api", "list-multipart-uploads", "--bucket", bucket)
    assert upload_id not in [u["UploadId"] for u in ups.get("Uploads", [])]

    # second upload: listed, then aborted
    key2 = "mpu/aborted.bin"
    up2 = server.aws_json("s3api", "create-multipart-upload", "--bucket", bucket,
                          "--key", key2)["UploadId"]
    server.aws("s3api", "upload-part", "--bucket", bucket, "--key", key2, "--part-number", "1",
               "--upload-id", up2, "--body", str(p2))
    ups = server.aws_json("s3api", "list-multipart-uploads", "--bucket", bucket)
    assert [(u["Key"], u["UploadId"]) for u in ups["Uploads"]] == [(key2, up2)]
    server.aws("s3api", "abort-multipart-upload", "--bucket", bucket, "--key", key2,
               "--upload-id", up2)
    r = server.aws("s3api", "list-parts", "--bucket", bucket, "--key", key2, "--upload-id", up2,
                   check=False)
    assert r.returncode != 0 and "NoSuchUpload" in r.stderr, r.stderr
    ups = server.aws_json("s3api", "list-multipart-uploads", "--bucket", bucket)
    assert not ups.get("Uploads")
    r = server.aws("s3api", "head-object", "--bucket", bucket, "--key", key2, check=False)
    assert r.returncode != 0 and "404" in r.stderr


# --------------------------------------------------------------------- boto3

def test_boto3_upload_file_12MiB(s3, bucket, tmp_path):
    src = tmp_path / "twelve.bin"
    digest = make_file(src, 12 * MiB)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(src), bucket, "upload_file.bin", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="upload_file.bin")
    assert head["ContentLength"] == 12 * MiB
    _assert_multipart_etag(head["ETag"], 3, multipart_etag_of_file(src, 5 * MiB))
    dst = tmp_path / "down.bin"
    s3.download_file(bucket, "upload_file.bin", str(dst), Config=cfg)
    assert sha256_file(dst) == digest


def test_boto3_parallel_parts_reverse_order(s3, bucket):
    key = "mpu/parallel.bin"
    parts = [random_bytes(5 * MiB) for _ in range(4)]
    upload_id = _start_upload(s3, bucket, key, ContentType="application/x-parts",
                              Metadata={"flow": "parallel"})
    results, errors = {}, []

    def put(n):
        try:
            r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n,
                               Body=parts[n - 1])
            results[n] = r["ETag"]
        except Exception as e:  # surfaced below
            errors.append((n, e))

    threads = [threading.Thread(target=put, args=(n,)) for n in (4, 3, 2, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert all(not t.is_alive() for t in threads), "upload_part hung"
    assert results == {n: '"%s"' % md5_hex(parts[n - 1]) for n in (1, 2, 3, 4)}

    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in listed] == [1, 2, 3, 4]

    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": results[n]} for n in (1, 2, 3, 4)]})
    _assert_multipart_etag(done["ETag"], 4, multipart_etag_of_parts(parts))
    got = s3.get_object(Bucket=bucket, Key=key)
    assert sha256_bytes(got["Body"].read()) == sha256_bytes(b"".join(parts))
    assert got["ContentType"] == "application/x-parts"
    assert got["Metadata"] == {"flow": "parallel"}
    assert got["ETag"] == done["ETag"]


def test_boto3_reupload_part_replaces_it(s3, bucket):
    key = "mpu/reupload.bin"
    upload_id = _start_upload(s3, bucket, key)
    first, second, tail = random_bytes(5 * MiB), random_bytes(5 * MiB), b"tail"
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=first)
    e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=second)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=tail)["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == second + tail


def test_complete_with_too_small_part_is_entity_too_small(s3, bucket):
    key = "mpu/small.bin"
    upload_id = _start_upload(s3, bucket, key)
    parts = _upload_parts(s3, bucket, key, upload_id, [random_bytes(1 * KiB), random_bytes(1 * KiB)])
    assert _complete_error(s3, bucket, key, upload_id, parts) == ("EntityTooSmall", 400)
    # the upload survives a failed completion
    assert len(s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]) == 2


def test_complete_parts_out_of_order_is_invalid_part_order(s3, bucket):
    key = "mpu/order.bin"
    upload_id = _start_upload(s3, bucket, key)
    parts = _upload_parts(s3, bucket, key, upload_id,
                          [random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(1 * KiB)])
    # every non-last part is >= 5 MiB in either order, so only the order is wrong
    shuffled = [parts[1], parts[0], parts[2]]
    assert _complete_error(s3, bucket, key, upload_id, shuffled) == ("InvalidPartOrder", 400)


def test_complete_with_wrong_etag_is_invalid_part(s3, bucket):
    key = "mpu/wrongetag.bin"
    upload_id = _start_upload(s3, bucket, key)
    parts = _upload_parts(s3, bucket, key, upload_id, [random_bytes(5 * MiB), random_bytes(1 * KiB)])
    parts[1] = {"PartNumber": 2, "ETag": '"00000000000000000000000000000000"'}
    assert _complete_error(s3, bucket, key, upload_id, parts) == ("InvalidPart", 400)
    # a part number that was never uploaded
    parts = _upload_parts(s3, bucket, key, upload_id, [random_bytes(5 * MiB)])
    parts.append({"PartNumber": 7, "ETag": parts[0]["ETag"]})
    assert _complete_error(s3, bucket, key, upload_id, parts) == ("InvalidPart", 400)


_BOGUS_UPLOAD = "this-upload-id-does-not-exist"
_UNKNOWN_UPLOAD_CALLS = {
    "upload_part": lambda s3, b: s3.upload_part(
        Bucket=b, Key="k", UploadId=_BOGUS_UPLOAD, PartNumber=1, Body=b"x"),
    "list_parts": lambda s3, b: s3.list_parts(Bucket=b, Key="k", UploadId=_BOGUS_UPLOAD),
    "complete": lambda s3, b: s3.complete_multipart_upload(
        Bucket=b, Key="k", UploadId=_BOGUS_UPLOAD,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"%s"' % md5_hex(b"x")}]}),
    "abort": lambda s3, b: s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=_BOGUS_UPLOAD),
}


@pytest.mark.parametrize("op", list(_UNKNOWN_UPLOAD_CALLS))
def test_unknown_upload_id_is_no_such_upload(s3, bucket, op):
    with pytest.raises(ClientError) as ei:
        _UNKNOWN_UPLOAD_CALLS[op](s3, bucket)
    assert (client_error_code(ei.value), http_status(ei.value)) == ("NoSuchUpload", 404)


def _upload_pairs(resp):
    return [(u["Key"], u["UploadId"]) for u in resp.get("Uploads", [])]


@pytest.fixture
def five_uploads(s3, bucket):
    """Five in-progress uploads, two of them for the same key."""
    return [(key, _start_upload(s3, bucket, key)) for key in ["a/1", "a/1", "a/2", "b/1", "c"]]


def test_list_multipart_uploads_all(s3, bucket, five_uploads):
    r = s3.list_multipart_uploads(Bucket=bucket)
    assert sorted(_upload_pairs(r)) == sorted(five_uploads)
    assert [k for k, _ in _upload_pairs(r)] == ["a/1", "a/1", "a/2", "b/1", "c"]
    assert r["IsTruncated"] is False
    assert r["Bucket"] == bucket


def test_list_multipart_uploads_prefix(s3, bucket, five_uploads):
    r = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert sorted(_upload_pairs(r)) == sorted(p for p in five_uploads if p[0].startswith("a/"))
    assert r["Prefix"] == "a/"


def test_list_multipart_uploads_delimiter(s3, bucket, five_uploads):
    r = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/", "b/"]
    assert [k for k, _ in _upload_pairs(r)] == ["c"]


def test_list_multipart_uploads_key_marker_not_an_existing_key(s3, bucket, five_uploads):
    # only uploads for keys strictly greater than the marker
    r = s3.list_multipart_uploads(Bucket=bucket, KeyMarker="a/15")
    assert [k for k, _ in _upload_pairs(r)] == ["a/2", "b/1", "c"]
    assert r["KeyMarker"] == "a/15"


def test_list_multipart_uploads_max_uploads_pagination(s3, bucket, five_uploads):
    seen, kw = [], {}
    for _ in range(len(five_uploads) + 2):
        page = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, **kw)
        got = _upload_pairs(page)
        assert len(got) == 1, page
        assert page["MaxUploads"] == 1
        seen += got
        if not page["IsTruncated"]:
            break
        assert page["NextKeyMarker"] == got[0][0]
        assert page["NextUploadIdMarker"] == got[0][1]
        kw = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
    assert len(seen) == len(five_uploads), seen
    assert sorted(seen) == sorted(five_uploads)


def test_upload_part_copy_with_range(s3, bucket):
    src = random_bytes(7 * MiB)
    s3.put_object(Bucket=bucket, Key="copy-src.bin", Body=src)
    key = "mpu/copied.bin"
    upload_id = _start_upload(s3, bucket, key)
    r1 = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "copy-src.bin"},
                             CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    assert r1["CopyPartResult"]["ETag"] == '"%s"' % md5_hex(src[:5 * MiB])
    r2 = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2,
                             CopySource=f"{bucket}/copy-src.bin",
                             CopySourceRange=f"bytes={6 * MiB}-{6 * MiB + 99}")
    assert r2["CopyPartResult"]["ETag"] == '"%s"' % md5_hex(src[6 * MiB:6 * MiB + 100])
    lp = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in lp] == [(1, 5 * MiB), (2, 100)]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == src[:5 * MiB] + src[6 * MiB:6 * MiB + 100]


def test_get_object_part_number(s3, bucket):
    key = "mpu/parts.bin"
    data = [random_bytes(5 * MiB), random_bytes(5 * MiB), random_bytes(1234)]
    upload_id = _start_upload(s3, bucket, key)
    parts = _upload_parts(s3, bucket, key, upload_id, data)
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    got = s3.get_object(Bucket=bucket, Key=key, PartNumber=1)
    assert http_status(got) == 206
    assert got["PartsCount"] == 3
    assert got["ContentLength"] == 5 * MiB
    assert got["ContentRange"] == f"bytes 0-{5 * MiB - 1}/{10 * MiB + 1234}"
    assert got["Body"].read() == data[0]
    last = s3.get_object(Bucket=bucket, Key=key, PartNumber=3)
    assert last["Body"].read() == data[2]
    head = s3.head_object(Bucket=bucket, Key=key, PartNumber=2)
    assert head["PartsCount"] == 3 and head["ContentLength"] == 5 * MiB


def test_abort_discards_parts(s3, bucket):
    key = "mpu/abort.bin"
    upload_id = _start_upload(s3, bucket, key)
    _upload_parts(s3, bucket, key, upload_id, [random_bytes(1 * MiB)])
    assert http_status(s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)) == 204
    with pytest.raises(ClientError) as ei:
        s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    assert client_error_code(ei.value) == "NoSuchUpload"
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key=key)
    assert http_status(ei.value) == 404


# -------------------------------------------------------------- rclone, s3cmd

def test_rclone_copy_20MiB_multipart(server, s3, bucket, tmp_path):
    src_dir = tmp_path / "src"
    src = src_dir / "twenty.bin"
    digest = make_file(src, 20 * MiB)
    server.rclone("copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M",
                  str(src_dir), f"t:{bucket}/rc", timeout=120)
    head = s3.head_object(Bucket=bucket, Key="rc/twenty.bin")
    assert head["ContentLength"] == 20 * MiB
    _assert_multipart_etag(head["ETag"], 4, multipart_etag_of_file(src, 5 * MiB))
    back = tmp_path / "back"
    server.rclone("copy", f"t:{bucket}/rc", str(back), timeout=120)
    assert sha256_file(back / "twenty.bin") == digest
    server.rclone("check", str(src_dir), f"t:{bucket}/rc")


def test_s3cmd_put_20MiB_multipart(server, s3, bucket, tmp_path):
    src = tmp_path / "twenty.bin"
    digest = make_file(src, 20 * MiB)
    server.s3cmd("put", "--multipart-chunk-size-mb=5", str(src), f"s3://{bucket}/s3cmd/twenty.bin",
                 timeout=120)
    head = s3.head_object(Bucket=bucket, Key="s3cmd/twenty.bin")
    assert head["ContentLength"] == 20 * MiB
    _assert_multipart_etag(head["ETag"], 4, multipart_etag_of_file(src, 5 * MiB))
    dst = tmp_path / "back.bin"
    server.s3cmd("get", f"s3://{bucket}/s3cmd/twenty.bin", str(dst), timeout=120)
    assert sha256_file(dst) == digest
