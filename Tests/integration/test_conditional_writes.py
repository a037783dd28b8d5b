"""Conditional writes through boto3: If-None-Match: * and If-Match on PutObject, CopyObject and
CompleteMultipartUpload (412 PreconditionFailed, 404 NoSuchKey for If-Match on a missing key; a failed
condition changes nothing). The race that ends in 409 ConditionalRequestConflict is decided in the
metadata store's commit and tested there (Tests/StorageCoreTests/ConditionalWriteTests.swift).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.core

MiB = 1024 * 1024


def error(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_object_if_none_match_and_if_match(s3, bucket):
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one", IfNoneMatch="*")["ETag"]
    assert error(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfNoneMatch="*")) == ("PreconditionFailed", 412)
    assert error(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfMatch='"0123456789abcdef0123456789abcdef"')) == ("PreconditionFailed", 412)
    assert error(lambda: s3.put_object(Bucket=bucket, Key="missing", Body=b"two", IfMatch=first)) == ("NoSuchKey", 404)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    assert error(lambda: s3.head_object(Bucket=bucket, Key="missing")) == ("404", 404)
    # Compare-and-swap: the writer that read `first` wins once; a second writer holding it loses.
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"two", IfMatch=first)["ETag"]
    assert second != first
    assert error(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"three", IfMatch=first)) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    # If-None-Match other than "*" is not something S3 does on a write.
    assert error(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", IfNoneMatch=second))[1] == 501


def test_copy_and_completion_with_conditions(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    dst = s3.put_object(Bucket=bucket, Key="dst", Body=b"destination")["ETag"]
    assert error(lambda: s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                                        IfNoneMatch="*")) == ("PreconditionFailed", 412)
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, IfMatch=dst)
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"source"

    upload = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="dst", UploadId=upload, PartNumber=1, Body=b"p" * MiB)["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": part}]}
    assert error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload, MultipartUpload=parts,
                                                      IfNoneMatch="*")) == ("PreconditionFailed", 412)
    # The upload is untouched by the refusal: it completes under a condition that holds.
    current = s3.head_object(Bucket=bucket, Key="dst")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="dst", UploadId=upload, MultipartUpload=parts, IfMatch=current)
    assert s3.head_object(Bucket=bucket, Key="dst")["ContentLength"] == MiB
