"""PublicAccessBlock and OwnershipControls, enforced as S3 does: BlockPublicAcls refuses public ACLs,
IgnorePublicAcls makes them count for nothing, BlockPublicPolicy refuses public policies,
RestrictPublicBuckets makes a public policy's Allows to `*` count for nothing; BucketOwnerEnforced turns
ACLs off, BucketOwnerPreferred hands objects written with bucket-owner-full-control to the bucket's owner,
ObjectWriter leaves them the writer's. boto3 with two users, plain HTTP for anonymous requests."""

from __future__ import annotations

import json
import re
import subprocess

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from daemon import BIN, client, own_daemon

pytestmark = pytest.mark.core

PUBLIC_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::pab/*"}]})


def code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def block(s3, **settings):
    config = {k: settings.get(k, False) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    s3.put_public_access_block(Bucket="pab", PublicAccessBlockConfiguration=config)


@pytest.fixture
def env(tmp_path):
    with own_daemon(tmp_path) as port:
        s3 = client(port)
        s3.create_bucket(Bucket="pab")
        out = subprocess.run([BIN, "keys", "create", "--user", "bob", "--data-dir", str(tmp_path / "data")],
                             capture_output=True, text=True, timeout=30)
        ak = re.search(r"access key: (\S+)", out.stdout).group(1)
        sk = re.search(r"secret key: (\S+)", out.stdout).group(1)
        bob = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=ak,
                           aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))
        yield port, s3, bob


def test_public_access_block_round_trip_and_each_setting(env):
    port, s3, bob = env
    url = f"http://127.0.0.1:{port}/pab"
    assert code(lambda: s3.get_public_access_block(Bucket="pab")) == "NoSuchPublicAccessBlockConfiguration"
    s3.put_object(Bucket="pab", Key="open", Body=b"open", ACL="public-read")
    assert requests.get(f"{url}/open").status_code == 200
    # IgnorePublicAcls: the public grant stays but counts for nothing.
    block(s3, IgnorePublicAcls=True)
    assert s3.get_public_access_block(Bucket="pab")["PublicAccessBlockConfiguration"]["IgnorePublicAcls"] is True
    assert requests.get(f"{url}/open").status_code == 403
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in s3.get_object_acl(Bucket="pab", Key="open")["Grants"])
    # BlockPublicAcls: setting one is refused (and nothing is stored); private ones still work.
    block(s3, BlockPublicAcls=True)
    assert requests.get(f"{url}/open").status_code == 200          # no longer ignored
    assert code(lambda: s3.put_object(Bucket="pab", Key="new", Body=b"n", ACL="public-read")) == "AccessDenied"
    assert code(lambda: s3.head_object(Bucket="pab", Key="new")) == "404"
    assert code(lambda: s3.put_bucket_acl(Bucket="pab", ACL="public-read")) == "AccessDenied"
    assert code(lambda: s3.put_object_acl(Bucket="pab", Key="open", ACL="authenticated-read")) == "AccessDenied"
    s3.put_object(Bucket="pab", Key="private", Body=b"p", ACL="private")
    # BlockPublicPolicy: a public policy is refused; RestrictPublicBuckets: one already there allows nobody anonymous.
    block(s3)
    s3.put_bucket_policy(Bucket="pab", Policy=PUBLIC_POLICY)
    assert requests.get(f"{url}/private").status_code == 200
    block(s3, BlockPublicPolicy=True)
    assert code(lambda: s3.put_bucket_policy(Bucket="pab", Policy=PUBLIC_POLICY)) == "AccessDenied"
    block(s3, RestrictPublicBuckets=True)
    assert requests.get(f"{url}/private").status_code == 403
    assert s3.get_bucket_policy_status(Bucket="pab")["PolicyStatus"]["IsPublic"] is True
    # Only the owner sets it; deleting it lifts it.
    assert code(lambda: bob.put_public_access_block(Bucket="pab", PublicAccessBlockConfiguration={"BlockPublicAcls": False})) == "AccessDenied"
    s3.delete_public_access_block(Bucket="pab")
    assert requests.get(f"{url}/private").status_code == 200
    assert code(lambda: s3.get_public_access_block(Bucket="pab")) == "NoSuchPublicAccessBlockConfiguration"


def test_object_ownership_settings(env):
    port, s3, bob = env
    me = s3.list_buckets()["Owner"]["ID"]
    bob_id = bob.list_buckets()["Owner"]["ID"]
    s3.put_bucket_acl(Bucket="pab", GrantWrite=f'id="{bob_id}"', GrantFullControl=f'id="{me}"')
    assert code(lambda: s3.get_bucket_ownership_controls(Bucket="pab")) == "OwnershipControlsNotFoundError"
    # ObjectWriter (and no setting): bob owns what bob writes.
    bob.put_object(Bucket="pab", Key="w1", Body=b"1")
    assert s3.get_object_acl(Bucket="pab", Key="w1")["Owner"]["ID"] == bob_id
    # BucketOwnerPreferred: with bucket-owner-full-control the bucket's owner owns it.
    s3.put_bucket_ownership_controls(Bucket="pab", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    assert s3.get_bucket_ownership_controls(Bucket="pab")["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    bob.put_object(Bucket="pab", Key="w2", Body=b"2", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket="pab", Key="w2")["Owner"]["ID"] == me
    bob.put_object(Bucket="pab", Key="w3", Body=b"3")
    assert s3.get_object_acl(Bucket="pab", Key="w3")["Owner"]["ID"] == bob_id
    # BucketOwnerEnforced needs a bucket ACL that grants nothing beyond the owner.
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert code(lambda: s3.put_bucket_ownership_controls(Bucket="pab", OwnershipControls=enforced)) == "InvalidBucketAclWithObjectOwnership"
    s3.put_bucket_acl(Bucket="pab", ACL="private")
    s3.put_bucket_ownership_controls(Bucket="pab", OwnershipControls=enforced)
    # ACLs off: setting one is AccessControlListNotSupported; bucket-owner-full-control is accepted; grants count for nothing.
    assert code(lambda: s3.put_object(Bucket="pab", Key="x", Body=b"x", ACL="public-read")) == "AccessControlListNotSupported"
    assert code(lambda: s3.put_bucket_acl(Bucket="pab", ACL="public-read")) == "AccessControlListNotSupported"
    s3.put_object(Bucket="pab", Key="y", Body=b"y", ACL="bucket-owner-full-control")
    s3.put_object(Bucket="pab", Key="z", Body=b"z")
    assert [g["Permission"] for g in s3.get_object_acl(Bucket="pab", Key="z")["Grants"]] == ["FULL_CONTROL"]
    s3.delete_bucket_ownership_controls(Bucket="pab")
    s3.put_object(Bucket="pab", Key="pub", Body=b"p", ACL="public-read")
    assert requests.get(f"http://127.0.0.1:{port}/pab/pub").status_code == 200
    s3.put_bucket_ownership_controls(Bucket="pab", OwnershipControls=enforced)
    assert requests.get(f"http://127.0.0.1:{port}/pab/pub").status_code == 403   # its public grant counts for nothing now
    # CreateBucket with x-amz-object-ownership.
    s3.create_bucket(Bucket="enforced-from-start", ObjectOwnership="BucketOwnerEnforced")
    assert s3.get_bucket_ownership_controls(Bucket="enforced-from-start")["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    # Malformed documents: MalformedXML, nothing changed.
    for bad in ({"Rules": [{"ObjectOwnership": "Nobody"}]}, {"Rules": []}):
        with pytest.raises(ClientError) as e:
            s3.put_bucket_ownership_controls(Bucket="pab", OwnershipControls=bad)
        assert e.value.response["Error"]["Code"] in ("MalformedXML",)
    assert s3.get_bucket_ownership_controls(Bucket="pab")["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
