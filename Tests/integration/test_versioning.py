"""Versioned buckets through real clients (boto3, the aws CLI, rclone --s3-versions): PutBucketVersioning
and GetBucketVersioning, versions kept by overwrites, delete markers, deletes by version ID that restore
the previous version, Suspended buckets' "null" version, copies from a version, and ListObjectVersions.
"""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.core

VERSION_ID = re.compile(r"^[0-9a-f]{16}$")


def error(call) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["ResponseMetadata"]["HTTPHeaders"]


def enable(s3, bucket, status="Enabled"):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def test_versioning_state_and_refusals(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    enable(s3, bucket)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    enable(s3, bucket, "Suspended")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    # MFA Delete cannot be checked here: refused, and the state stays.
    code, status, _ = error(lambda: s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}))
    assert (code, status) == ("AccessDenied", 403)
    code, status, _ = error(lambda: s3.put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"}, MFA="123456 654321"))
    assert (code, status) == ("NotImplemented", 501)
    code, status, _ = error(lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "On"}))
    assert (code, status) == ("MalformedXML", 400)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    assert error(lambda: s3.get_bucket_versioning(Bucket=bucket + "-none"))[:2] == ("NoSuchBucket", 404)


def test_versioned_overwrite_delete_and_restore(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two two")["VersionId"]
    assert VERSION_ID.match(v1) and VERSION_ID.match(v2) and v1 != v2
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"two two" and got["VersionId"] == v2
    assert s3.head_object(Bucket=bucket, Key="k")["VersionId"] == v2
    old = s3.get_object(Bucket=bucket, Key="k", VersionId=v1)
    assert old["Body"].read() == b"one" and old["VersionId"] == v1
    assert s3.head_object(Bucket=bucket, Key="k", VersionId=v1)["ContentLength"] == 3

    deleted = s3.delete_object(Bucket=bucket, Key="k")
    marker = deleted["VersionId"]
    assert deleted["DeleteMarker"] is True and VERSION_ID.match(marker)
    code, status, headers = error(lambda: s3.get_object(Bucket=bucket, Key="k"))
    assert (code, status, headers.get("x-amz-delete-marker"), headers.get("x-amz-version-id")) == ("NoSuchKey", 404, "true", marker)
    code, status, headers = error(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId=marker))
    assert (code, status, headers.get("x-amz-delete-marker")) == ("MethodNotAllowed", 405, "true")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0

    r = s3.list_object_versions(Bucket=bucket)
    assert [(v["VersionId"], v["IsLatest"], v["Size"]) for v in r["Versions"]] == [(v2, False, 7), (v1, False, 3)]
    assert [(m["VersionId"], m["IsLatest"]) for m in r["DeleteMarkers"]] == [(marker, True)]

    # Removing the marker restores v2; removing v2 restores v1.
    undone = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert undone["DeleteMarker"] is True and undone["VersionId"] == marker
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two two"
    assert s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)["VersionId"] == v2
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]] == [v1]

    # A version ID this gateway never made: InvalidArgument; one it could have made but has not: NoSuchVersion.
    assert error(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId="3HL4kqtJlcpXroDTDmJ"))[:2] == ("InvalidArgument", 400)
    assert error(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId="7fffffffffffffff"))[:2] == ("NoSuchVersion", 404)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"


def test_suspended_writes_replace_the_null_version_and_keep_others(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"before")   # the null version, from before versioning
    enable(s3, bucket)
    v = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    enable(s3, bucket, "Suspended")
    assert "VersionId" not in s3.put_object(Bucket=bucket, Key="k", Body=b"null again")
    r = s3.list_object_versions(Bucket=bucket)
    assert [(x["VersionId"], x["IsLatest"]) for x in r["Versions"]] == [("null", True), (v, False)]
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"null again"
    d = s3.delete_object(Bucket=bucket, Key="k")
    assert d["DeleteMarker"] is True and d["VersionId"] == "null"
    r = s3.list_object_versions(Bucket=bucket)
    assert [x["VersionId"] for x in r["Versions"]] == [v] and [m["VersionId"] for m in r["DeleteMarkers"]] == ["null"]


def test_copies_completions_and_batch_deletes_of_versions(s3, bucket):
    enable(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="src", Body=b"a" * 6 * 1024 * 1024)["VersionId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"b")
    c = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1})
    assert c["CopySourceVersionId"] == v1 and VERSION_ID.match(c["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="dst")["ContentLength"] == 6 * 1024 * 1024

    u = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    p = s3.upload_part_copy(Bucket=bucket, Key="dst", UploadId=u, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "src", "VersionId": v1}, CopySourceRange="bytes=0-5242879")
    assert p["CopySourceVersionId"] == v1
    done = s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=u,
                                        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p["CopyPartResult"]["ETag"]}]})
    assert VERSION_ID.match(done["VersionId"]) and done["VersionId"] != c["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="dst", VersionId=c["VersionId"])["ContentLength"] == 6 * 1024 * 1024
    assert s3.get_object(Bucket=bucket, Key="dst")["ContentLength"] == 5 * 1024 * 1024

    marker = s3.delete_object(Bucket=bucket, Key="src")["VersionId"]
    code, status, _ = error(lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src", "VersionId": marker}))
    assert (code, status) == ("InvalidRequest", 400)

    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "src", "VersionId": marker}, {"Key": "dst"},
                                                             {"Key": "src", "VersionId": v1}]})
    deleted = {(d["Key"], d.get("VersionId")): d for d in r["Deleted"]}
    assert deleted[("src", marker)]["DeleteMarker"] is True and deleted[("src", marker)]["DeleteMarkerVersionId"] == marker
    assert deleted[("dst", None)]["DeleteMarker"] is True and VERSION_ID.match(deleted[("dst", None)]["DeleteMarkerVersionId"])
    assert "DeleteMarker" not in deleted[("src", v1)]
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == b"b"


def test_a_retried_completion_answers_the_version_it_made(s3, bucket):
    """CompleteMultipartUpload sent again after it succeeded (its answer lost): the same result, with the
    x-amz-version-id of the version the first one made, even after a newer version of the key was written;
    in a Suspended bucket, as the first answer, none."""
    enable(s3, bucket)
    for key, status in [("done", "Enabled"), ("null", "Suspended")]:
        enable(s3, bucket, status)
        u = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=u, PartNumber=n, Body=body)["ETag"]}
                 for n, body in [(1, b"1" * 5 * 1024 * 1024), (2, b"2" * 10)]]
        first = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=u, MultipartUpload={"Parts": parts})
        enable(s3, bucket)
        newer = s3.put_object(Bucket=bucket, Key=key, Body=b"newer")["VersionId"]
        again = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=u, MultipartUpload={"Parts": parts})
        assert again["ETag"] == first["ETag"] and again.get("VersionId") == first.get("VersionId")
        if status == "Enabled":
            assert VERSION_ID.match(first["VersionId"]) and first["VersionId"] != newer
            made = s3.head_object(Bucket=bucket, Key=key, VersionId=again["VersionId"])
            assert made["ETag"] == first["ETag"] and made["ContentLength"] == 5 * 1024 * 1024 + 10
        else:
            assert "VersionId" not in first and "VersionId" not in again


def test_listing_pages_resume_from_the_last_version(s3, bucket):
    enable(s3, bucket)
    ids = {}
    for key in ["a", "b/1", "b/2", "c"]:
        ids[key] = [s3.put_object(Bucket=bucket, Key=key, Body=key.encode() * n)["VersionId"] for n in (1, 2, 3)]
    s3.delete_object(Bucket=bucket, Key="c")
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 7
    walked = [(v["Key"], v["VersionId"]) for p in pages for v in p.get("Versions", [])]
    assert walked == [(k, i) for k in ["a", "b/1", "b/2", "c"] for i in reversed(ids[k])]
    first = pages[0]
    assert (first["NextKeyMarker"], first["NextVersionIdMarker"]) == ("a", ids["a"][1])
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="a", VersionIdMarker=ids["a"][2], MaxKeys=1)
    assert [v["VersionId"] for v in r["Versions"]] == [ids["a"][1]]
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/", Prefix="")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["b/"]
    assert [v["Key"] for v in r["Versions"]] == ["a"] * 3 + ["c"] * 3 and [m["Key"] for m in r["DeleteMarkers"]] == ["c"]


def test_aws_cli_versioning_flow(server, bucket, tmp_path):
    server.aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
    assert server.aws_json("s3api", "get-bucket-versioning", "--bucket", bucket)["Status"] == "Enabled"
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first body")
    second.write_bytes(b"second")
    v1 = server.aws_json("s3api", "put-object", "--bucket", bucket, "--key", "f", "--body", str(first))["VersionId"]
    v2 = server.aws_json("s3api", "put-object", "--bucket", bucket, "--key", "f", "--body", str(second))["VersionId"]
    listed = server.aws_json("s3api", "list-object-versions", "--bucket", bucket)
    assert [(v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [(v2, True), (v1, False)]
    out = tmp_path / "out"
    got = server.aws_json("s3api", "get-object", "--bucket", bucket, "--key", "f", "--version-id", v1, str(out))
    assert got["VersionId"] == v1 and out.read_bytes() == b"first body"
    gone = server.aws_json("s3api", "delete-object", "--bucket", bucket, "--key", "f", "--version-id", v2)
    assert gone["VersionId"] == v2
    server.aws("s3api", "get-object", "--bucket", bucket, "--key", "f", str(out))
    assert out.read_bytes() == b"first body"


def test_rclone_lists_old_versions(server, s3, bucket):
    enable(s3, bucket)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"x" * 10)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"y" * 25)
    plain = server.rclone("ls", f"t:{bucket}").stdout.split()
    assert plain == ["25", "doc.txt"]
    lines = [line.split(None, 1) for line in server.rclone("ls", "--s3-versions", f"t:{bucket}").stdout.splitlines() if line.strip()]
    listed = {name: int(size) for size, name in lines}
    assert listed.pop("doc.txt") == 25
    # The old version appears under a name carrying its time: doc-v2026-01-02-030405-000.txt.
    assert len(listed) == 1
    (name, size), = listed.items()
    assert re.match(r"^doc-v\d{4}-\d{2}-\d{2}-\d{6}-\d{3}\.txt$", name) and size == 10
