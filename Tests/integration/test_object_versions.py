"""ListObjectVersions and version IDs on buckets that keep no versions (every object is version "null"),
as the aws CLI, rclone --s3-versions and test-suite clean-up code use them: list the versions, delete
each with its VersionId, delete the bucket. A version other than "null" is refused and changes nothing.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.core

KEYS = ["a/1", "a/2", "a/b/3", "b/4", "c", "d e+f", "caf\u00e9", "cafe\u0301"]


def error(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def fill(s3, bucket):
    for i, key in enumerate(KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * (i + 1))


def test_every_object_is_listed_once_as_the_null_version(s3, bucket):
    fill(s3, bucket)
    r = s3.list_object_versions(Bucket=bucket)
    versions = r["Versions"]
    assert [v["Key"] for v in versions] == sorted(KEYS, key=lambda k: k.encode())
    assert all(v["VersionId"] == "null" and v["IsLatest"] is True for v in versions)
    assert [v["Size"] for v in versions] == [KEYS.index(v["Key"]) + 1 for v in versions]
    assert "DeleteMarkers" not in r and r["IsTruncated"] is False
    assert all(v["ETag"] == s3.head_object(Bucket=bucket, Key=v["Key"])["ETag"] for v in versions)


def test_pages_prefixes_and_markers(s3, bucket):
    fill(s3, bucket)
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert [v["Key"] for p in pages for v in p.get("Versions", [])] == sorted(KEYS, key=lambda k: k.encode())
    first = pages[0]
    assert first["IsTruncated"] and first["NextKeyMarker"] == first["Versions"][-1]["Key"] and first["NextVersionIdMarker"] == "null"

    r = s3.list_object_versions(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [v["Key"] for v in r["Versions"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/b/"]
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/", MaxKeys=1)
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["a/"] and r["NextKeyMarker"] == "a/" and "NextVersionIdMarker" not in r
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/", KeyMarker="a/")
    assert [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["b/"]
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="b/4", VersionIdMarker="null")
    assert [v["Key"] for v in r["Versions"]] == sorted(["c", "d e+f", "caf\u00e9", "cafe\u0301"], key=lambda k: k.encode())
    # encoding-type=url asked for by the caller: keys come percent-encoded (botocore decodes only when it asked).
    r = s3.list_object_versions(Bucket=bucket, Prefix="d", EncodingType="url")
    assert [v["Key"] for v in r["Versions"]] == ["d%20e%2Bf"] and r["EncodingType"] == "url"


def test_bad_markers_are_refused(s3, bucket):
    fill(s3, bucket)
    assert error(lambda: s3.list_object_versions(Bucket=bucket, VersionIdMarker="null")) == ("InvalidArgument", 400)
    assert error(lambda: s3.list_object_versions(Bucket=bucket, KeyMarker="a/1", VersionIdMarker="3HL4kqtJlcpXroDTDmJ")) == ("InvalidArgument", 400)
    assert error(lambda: s3.list_object_versions(Bucket="no-such-bucket-versions")) == ("NoSuchBucket", 404)


def test_null_version_reads_and_deletes_others_are_refused_and_change_nothing(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"body")
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"body"
    assert s3.head_object(Bucket=bucket, Key="k", VersionId="null")["ContentLength"] == 4
    assert error(lambda: s3.get_object(Bucket=bucket, Key="k", VersionId="3HL4kqtJlcpXroDTDmJ")) == ("InvalidArgument", 400)
    assert error(lambda: s3.delete_object(Bucket=bucket, Key="k", VersionId="3HL4kqtJlcpXroDTDmJ")) == ("InvalidArgument", 400)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"body"
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k", "VersionId": "null"})
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"body"
    assert error(lambda: s3.copy_object(Bucket=bucket, Key="copy2",
                                        CopySource={"Bucket": bucket, "Key": "k", "VersionId": "nope"})) == ("InvalidArgument", 400)
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k", "VersionId": "nope"}, {"Key": "copy", "VersionId": "null"}]})
    assert [(d["Key"], d.get("VersionId")) for d in r["Deleted"]] == [("copy", "null")]
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("k", "InvalidArgument")]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"body"
    s3.delete_object(Bucket=bucket, Key="k", VersionId="null")
    assert error(lambda: s3.head_object(Bucket=bucket, Key="k")) == ("404", 404)


def test_the_clean_up_that_tools_run_empties_and_deletes_a_bucket(server, s3, bucket_name):
    s3.create_bucket(Bucket=bucket_name)
    fill(s3, bucket_name)
    # The aws CLI: list-object-versions, then delete-objects with every version and marker it listed.
    listed = server.aws_json("s3api", "list-object-versions", "--bucket", bucket_name)
    assert len(listed["Versions"]) == len(KEYS)
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket_name, PaginationConfig={"PageSize": 3}):
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if objects:
            r = s3.delete_objects(Bucket=bucket_name, Delete={"Objects": objects})
            assert not r.get("Errors"), r["Errors"]
    assert s3.list_object_versions(Bucket=bucket_name).get("Versions") is None
    s3.delete_bucket(Bucket=bucket_name)
    assert error(lambda: s3.head_bucket(Bucket=bucket_name))[1] == 404
