"""Bucket policies (Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus), evaluated on every request: an
explicit Deny wins, over the owner too; then the owner, a policy Allow or an ACL grant; otherwise
AccessDenied. Principals `*` and users by ARN or canonical ID; the condition operators and keys that
public-bucket and upload policies use. Driven with the aws CLI, boto3 (two users) and plain HTTP."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from daemon import ACCESS_KEY, BIN, SECRET_KEY, client, own_daemon

pytestmark = pytest.mark.core


def make_user(tmp_path, port, name):
    out = subprocess.run([BIN, "keys", "create", "--user", name, "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    ak = re.search(r"access key: (\S+)", out.stdout).group(1)
    sk = re.search(r"secret key: (\S+)", out.stdout).group(1)
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=ak,
                        aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))


def code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def env(tmp_path):
    with own_daemon(tmp_path) as port:
        owner = client(port)
        owner.create_bucket(Bucket="site")
        owner.put_object(Bucket="site", Key="index.html", Body=b"<h1>site</h1>")
        owner.put_object(Bucket="site", Key="shared/a.txt", Body=b"shared")
        owner.put_object(Bucket="site", Key="private/b.txt", Body=b"private")
        bob = make_user(tmp_path, port, "bob")
        yield port, owner, bob


def test_a_public_read_policy_with_the_aws_cli(env, tmp_path):
    port, owner, bob = env
    base = f"http://127.0.0.1:{port}/site"
    assert requests.get(f"{base}/index.html").status_code == 403
    doc = tmp_path / "policy.json"
    doc.write_text(policy({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                           "Resource": "arn:aws:s3:::site/*"}))
    aws = shutil.which("aws")
    assert aws, "the aws CLI is part of the test set"
    cli_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    cli_env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION="us-east-1",
                   AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))

    def cli(*args):
        out = subprocess.run([aws, "--endpoint-url", f"http://127.0.0.1:{port}", "s3api", *args], capture_output=True, text=True,
                             env=cli_env, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    cli("put-bucket-policy", "--bucket", "site", "--policy", f"file://{doc}")
    assert json.loads(json.loads(cli("get-bucket-policy", "--bucket", "site"))["Policy"]) == json.loads(doc.read_text())
    assert json.loads(cli("get-bucket-policy-status", "--bucket", "site"))["PolicyStatus"]["IsPublic"] is True
    curl = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", f"{base}/index.html"], capture_output=True, timeout=30)
    assert curl.stdout == b"<h1>site</h1>\n200"
    # Only what it allows: no anonymous listing, writing or deleting.
    assert requests.get(base).status_code == 403
    assert requests.put(f"{base}/new", data=b"x").status_code == 403
    assert requests.delete(f"{base}/index.html").status_code == 403
    assert owner.get_object(Bucket="site", Key="index.html")["Body"].read() == b"<h1>site</h1>"
    # Policies are the owner's to set.
    assert code(lambda: bob.put_bucket_policy(Bucket="site", Policy=doc.read_text())) == "AccessDenied"
    assert code(lambda: bob.get_bucket_policy(Bucket="site")) == "AccessDenied"
    cli("delete-bucket-policy", "--bucket", "site")
    assert requests.get(f"{base}/index.html").status_code == 403
    assert code(lambda: owner.get_bucket_policy(Bucket="site")) == "NoSuchBucketPolicy"


def test_users_by_arn_prefixes_and_listing_conditions(env):
    port, owner, bob = env
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::tessera:user/bob"}, "Action": ["s3:GetObject"],
         "Resource": "arn:aws:s3:::site/shared/*"},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::tessera:user/bob"]}, "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::site", "Condition": {"StringLike": {"s3:prefix": "shared/*"},
                                                       "NumericLessThanEquals": {"s3:max-keys": "10"}}}))
    assert bob.get_object(Bucket="site", Key="shared/a.txt")["Body"].read() == b"shared"
    assert code(lambda: bob.get_object(Bucket="site", Key="private/b.txt")) == "AccessDenied"
    assert [o["Key"] for o in bob.list_objects_v2(Bucket="site", Prefix="shared/", MaxKeys=5)["Contents"]] == ["shared/a.txt"]
    assert code(lambda: bob.list_objects_v2(Bucket="site", Prefix="private/", MaxKeys=5)) == "AccessDenied"
    assert code(lambda: bob.list_objects_v2(Bucket="site", Prefix="shared/", MaxKeys=100)) == "AccessDenied"
    assert code(lambda: bob.list_objects_v2(Bucket="site", Prefix="shared/")) == "AccessDenied"   # max-keys absent: no match
    assert code(lambda: bob.put_object(Bucket="site", Key="shared/c", Body=b"c")) == "AccessDenied"
    # Copies read their source through the policy too.
    bob.create_bucket(Bucket="bobs")
    bob.copy_object(Bucket="bobs", Key="copy", CopySource={"Bucket": "site", "Key": "shared/a.txt"})
    assert code(lambda: bob.copy_object(Bucket="bobs", Key="copy2", CopySource={"Bucket": "site", "Key": "private/b.txt"})) == "AccessDenied"


def test_an_explicit_deny_wins_even_over_the_owner(env):
    port, owner, bob = env
    owner.put_object(Bucket="site", Key="locked/keep", Body=b"keep")
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteObject*"], "Resource": "arn:aws:s3:::site/locked/*"},
        {"Effect": "Allow", "Principal": "*", "NotAction": "s3:Delete*", "Resource": ["arn:aws:s3:::site", "arn:aws:s3:::site/*"]}))
    assert code(lambda: owner.delete_object(Bucket="site", Key="locked/keep")) == "AccessDenied"
    result = owner.delete_objects(Bucket="site", Delete={"Objects": [{"Key": "locked/keep"}, {"Key": "shared/a.txt"}]})
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("locked/keep", "AccessDenied")]
    assert [d["Key"] for d in result["Deleted"]] == ["shared/a.txt"]
    assert owner.get_object(Bucket="site", Key="locked/keep")["Body"].read() == b"keep"
    # The Allow with NotAction lets bob (and anyone) write, but not delete.
    bob.put_object(Bucket="site", Key="from-bob", Body=b"b")
    assert code(lambda: bob.delete_object(Bucket="site", Key="from-bob")) == "AccessDenied"


def test_transport_address_and_time_conditions(env):
    port, owner, bob = env
    base = f"http://127.0.0.1:{port}/site"
    # Deny everything not over TLS: this listener is plain HTTP, so even the owner is refused...
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::site", "arn:aws:s3:::site/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    assert code(lambda: owner.get_object(Bucket="site", Key="index.html")) == "AccessDenied"
    assert code(lambda: owner.get_bucket_policy(Bucket="site")) == "AccessDenied"
    # ...but the owner can always replace or remove the policy (no lock-out).
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/private/*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.1/32"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/later/*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}}))
    assert requests.get(f"{base}/index.html").status_code == 200             # from 127.0.0.1
    assert requests.get(f"{base}/private/b.txt").status_code == 403          # not from 192.0.2.1: denied
    assert code(lambda: owner.get_object(Bucket="site", Key="private/b.txt")) == "AccessDenied"
    assert json.loads(owner.get_bucket_policy(Bucket="site")["Policy"])["Statement"][0]["Condition"]["IpAddress"]
    owner.put_object(Bucket="site", Key="later/x", Body=b"x")
    # later/x is also under site/*, allowed from 127.0.0.0/8; a date in the future allows nothing alone.
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/later/*",
         "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/index.html",
         "Condition": {"DateLessThan": {"aws:CurrentTime": "2099-01-01T00:00:00Z"}}}))
    assert requests.get(f"{base}/later/x").status_code == 403
    assert requests.get(f"{base}/index.html").status_code == 200
    assert owner.get_bucket_policy_status(Bucket="site")["PolicyStatus"]["IsPublic"] is True


def test_uploads_that_must_hand_the_owner_control(env):
    port, owner, bob = env
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Allow", "Principal": {"CanonicalUser": client(port).list_buckets()["Owner"]["ID"]},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::site/*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::tessera:user/bob"}, "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::site/uploads/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}))
    assert code(lambda: bob.put_object(Bucket="site", Key="uploads/1", Body=b"1")) == "AccessDenied"
    bob.put_object(Bucket="site", Key="uploads/2", Body=b"2", ACL="bucket-owner-full-control")
    assert owner.get_object(Bucket="site", Key="uploads/2")["Body"].read() == b"2"
    assert code(lambda: bob.put_object(Bucket="site", Key="elsewhere", Body=b"3", ACL="bucket-owner-full-control")) == "AccessDenied"


@pytest.mark.parametrize("document, wanted", [
    ("not json", "MalformedPolicy"),
    ("[]", "MalformedPolicy"),
    (json.dumps({"Version": "2012-10-17"}), "MalformedPolicy"),
    (policy({"Effect": "Permit", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::site/*"}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "ec2:RunInstances", "Resource": "arn:aws:s3:::site/*"}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
             "Condition": {"StringSortOf": {"s3:prefix": "a"}}}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "not-an-address"}}}), "MalformedPolicy"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*", "Extra": 1}), "MalformedPolicy"),
])
def test_policies_tessera_would_not_evaluate_are_refused(env, document, wanted):
    port, owner, bob = env
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/index.html"}))
    with pytest.raises(ClientError) as e:
        owner.put_bucket_policy(Bucket="site", Policy=document)
    assert e.value.response["Error"]["Code"] == wanted
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The policy before stays in force.
    assert requests.get(f"http://127.0.0.1:{port}/site/index.html").status_code == 200
    assert "index.html" in owner.get_bucket_policy(Bucket="site")["Policy"]


def test_existing_object_tags_decide(env):
    port, owner, bob = env
    owner.put_object(Bucket="site", Key="tagged", Body=b"tagged", Tagging="public=yes")
    owner.put_object(Bucket="site", Key="untagged", Body=b"untagged")
    owner.put_object(Bucket="site", Key="other", Body=b"other", Tagging="public=no")
    owner.put_bucket_policy(Bucket="site", Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/public": "yes"}}}))
    base = f"http://127.0.0.1:{port}/site"
    assert requests.get(f"{base}/tagged").content == b"tagged"
    assert requests.get(f"{base}/untagged").status_code == 403
    assert requests.get(f"{base}/other").status_code == 403
    # Retagging changes the answer at once.
    owner.put_object_tagging(Bucket="site", Key="other", Tagging={"TagSet": [{"Key": "public", "Value": "yes"}]})
    assert requests.get(f"{base}/other").content == b"other"
