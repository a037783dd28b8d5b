"""Owners and ACLs: keys belong to users (`tessera keys create --user`), buckets to the user who made them,
and canned ACLs, grant headers and AccessControlPolicy documents decide what other users and anonymous
callers may do. Driven with boto3 (two users), curl-like anonymous requests and the aws CLI."""

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

S3NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def make_user(tmp_path, port, name, *extra):
    """A key for user `name` (made by naming it): a boto3 client, the key pair and the user's canonical ID."""
    args = [BIN, "keys", "create", "--data-dir", str(tmp_path / "data"), *extra]
    if name is not None:
        args += ["--user", name]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    ak = re.search(r"access key: (\S+)", out.stdout).group(1)
    sk = re.search(r"secret key: (\S+)", out.stdout).group(1)
    canonical = re.search(r"canonical ID ([0-9a-f]{64})", out.stdout).group(1)
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id=ak, aws_secret_access_key=sk, config=Config(retries={"total_max_attempts": 1}))
    return s3, (ak, sk), canonical


def code(call) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"]


def status(call) -> int:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def two_users(tmp_path):
    with own_daemon(tmp_path) as port:
        alice, _, alice_id = make_user(tmp_path, port, "alice")
        bob, _, bob_id = make_user(tmp_path, port, "bob")
        yield port, alice, alice_id, bob, bob_id


def test_buckets_belong_to_their_creator(two_users, tmp_path):
    port, alice, alice_id, bob, bob_id = two_users
    assert alice_id != bob_id
    alice.create_bucket(Bucket="alices")
    alice.put_object(Bucket="alices", Key="k", Body=b"private")
    # Only the owner lists it, and ListBuckets shows each user its own, with itself as Owner.
    listed = alice.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == ["alices"]
    assert listed["Owner"] == {"ID": alice_id, "DisplayName": "alice"}
    assert bob.list_buckets()["Buckets"] == []
    # Another user: AccessDenied for reads, writes, listings and configuration.
    assert status(lambda: bob.head_object(Bucket="alices", Key="k")) == 403   # a HEAD answer has no body to name the code
    for call in (lambda: bob.get_object(Bucket="alices", Key="k"),
                 lambda: bob.put_object(Bucket="alices", Key="x", Body=b"x"), lambda: bob.list_objects_v2(Bucket="alices"),
                 lambda: bob.list_object_versions(Bucket="alices"), lambda: bob.delete_object(Bucket="alices", Key="k"),
                 lambda: bob.get_bucket_acl(Bucket="alices"), lambda: bob.get_bucket_versioning(Bucket="alices"),
                 lambda: bob.delete_bucket(Bucket="alices"), lambda: bob.create_multipart_upload(Bucket="alices", Key="m")):
        assert code(call) == "AccessDenied"
    assert alice.get_object(Bucket="alices", Key="k")["Body"].read() == b"private"   # nothing changed
    # Re-creating: the owner gets 200 in us-east-1; another user 409 BucketAlreadyExists.
    assert alice.create_bucket(Bucket="alices")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code(lambda: bob.create_bucket(Bucket="alices")) == "BucketAlreadyExists"
    assert status(lambda: bob.create_bucket(Bucket="alices")) == 409
    # The daemon's own key is the default user's: buckets from before owners and its own are its.
    admin = client(port)
    admin.create_bucket(Bucket="admins")
    assert [b["Name"] for b in admin.list_buckets()["Buckets"]] == ["admins"]
    assert code(lambda: admin.get_object(Bucket="alices", Key="k")) == "AccessDenied"
    assert admin.get_bucket_acl(Bucket="admins")["Owner"]["DisplayName"] == "tessera"


def test_owner_recreating_outside_us_east_1_is_told_it_owns_it(tmp_path):
    with own_daemon(tmp_path, "--region", "eu-west-1") as port:
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-west-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"total_max_attempts": 1}))
        cfg = {"LocationConstraint": "eu-west-1"}
        s3.create_bucket(Bucket="mine", CreateBucketConfiguration=cfg)
        assert code(lambda: s3.create_bucket(Bucket="mine", CreateBucketConfiguration=cfg)) == "BucketAlreadyOwnedByYou"


def test_grants_by_canonical_id_open_a_bucket_and_its_objects(two_users):
    port, alice, alice_id, bob, bob_id = two_users
    alice.create_bucket(Bucket="shared")
    alice.put_object(Bucket="shared", Key="doc", Body=b"alice's")
    # READ on the bucket: bob lists, but the object itself is still private.
    alice.put_bucket_acl(Bucket="shared", GrantRead=f'id="{bob_id}"')
    assert [o["Key"] for o in bob.list_objects_v2(Bucket="shared")["Contents"]] == ["doc"]
    assert code(lambda: bob.get_object(Bucket="shared", Key="doc")) == "AccessDenied"
    assert code(lambda: bob.put_object(Bucket="shared", Key="x", Body=b"x")) == "AccessDenied"
    # A missing key: NoSuchKey for a caller who may list the bucket.
    assert code(lambda: bob.get_object(Bucket="shared", Key="missing")) == "NoSuchKey"
    # READ on the object: bob reads it; its ACL document lists the grant after the owner's FULL_CONTROL.
    alice.put_object_acl(Bucket="shared", Key="doc", GrantRead=f'id="{bob_id}"')
    assert bob.get_object(Bucket="shared", Key="doc")["Body"].read() == b"alice's"
    acl = alice.get_object_acl(Bucket="shared", Key="doc")
    assert acl["Owner"]["ID"] == alice_id
    assert [(g["Grantee"].get("ID"), g["Permission"]) for g in acl["Grants"]] == [(alice_id, "FULL_CONTROL"), (bob_id, "READ")]
    assert code(lambda: bob.get_object_acl(Bucket="shared", Key="doc")) == "AccessDenied"   # READ is not READ_ACP
    assert code(lambda: bob.put_object_acl(Bucket="shared", Key="doc", ACL="public-read")) == "AccessDenied"
    # WRITE on the bucket: bob writes; the writer owns what it wrote, and the bucket's owner still reads it.
    alice.put_bucket_acl(Bucket="shared", AccessControlPolicy={
        "Owner": {"ID": alice_id},
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": bob_id}, "Permission": "READ"},
                   {"Grantee": {"Type": "CanonicalUser", "ID": bob_id}, "Permission": "WRITE"}]})
    bucket_acl = alice.get_bucket_acl(Bucket="shared")
    assert sorted(g["Permission"] for g in bucket_acl["Grants"]) == ["FULL_CONTROL", "READ", "WRITE"]
    bob.put_object(Bucket="shared", Key="bobs", Body=b"bob's")
    assert bob.get_object(Bucket="shared", Key="bobs")["Body"].read() == b"bob's"
    assert alice.get_object(Bucket="shared", Key="bobs")["Body"].read() == b"bob's"
    assert bob.get_object_acl(Bucket="shared", Key="bobs")["Owner"]["ID"] == bob_id
    # Taking the grant back closes the bucket again.
    alice.put_bucket_acl(Bucket="shared", ACL="private")
    assert code(lambda: bob.list_objects_v2(Bucket="shared")) == "AccessDenied"
    assert code(lambda: bob.put_object(Bucket="shared", Key="y", Body=b"y")) == "AccessDenied"


def test_public_read_objects_are_readable_without_a_key(two_users):
    port, alice, alice_id, bob, bob_id = two_users
    base = f"http://127.0.0.1:{port}"
    alice.create_bucket(Bucket="site")
    alice.put_object(Bucket="site", Key="index.html", Body=b"<h1>hi</h1>", ACL="public-read", ContentType="text/html")
    alice.put_object(Bucket="site", Key="draft.html", Body=b"secret")
    curl = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", f"{base}/site/index.html"], capture_output=True, timeout=30)
    assert curl.returncode == 0 and curl.stdout == b"<h1>hi</h1>\n200", curl
    curl = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"{base}/site/draft.html"], capture_output=True, timeout=30)
    assert curl.stdout == b"403"
    r = requests.get(f"{base}/site/index.html")
    assert r.status_code == 200 and r.content == b"<h1>hi</h1>" and r.headers["Content-Type"] == "text/html"
    assert requests.head(f"{base}/site/index.html").status_code == 200
    # Anything else anonymous: AccessDenied, with S3's XML.
    for method, path in (("GET", "/site/draft.html"), ("GET", "/site/missing.html"), ("GET", "/site"), ("PUT", "/site/new"),
                         ("DELETE", "/site/index.html"), ("GET", "/")):
        r = requests.request(method, base + path, data=b"x" if method == "PUT" else None)
        assert r.status_code == 403, (method, path, r.status_code)
        root = ET.fromstring(r.content)
        assert root.findtext("Code") == "AccessDenied" and root.findtext("RequestId")
    assert alice.get_object(Bucket="site", Key="index.html")["Body"].read() == b"<h1>hi</h1>"
    # A public-read bucket lists to anyone; the objects in it keep their own ACLs.
    alice.put_bucket_acl(Bucket="site", ACL="public-read")
    listing = requests.get(f"{base}/site?list-type=2")
    assert listing.status_code == 200
    assert [e.text for e in ET.fromstring(listing.content).iter(f"{S3NS}Key")] == ["draft.html", "index.html"]
    missing = requests.get(f"{base}/site/missing.html")
    assert missing.status_code == 404 and ET.fromstring(missing.content).findtext("Code") == "NoSuchKey"
    assert requests.get(f"{base}/site/draft.html").status_code == 403
    # authenticated-read: any user's key reads it, no key does not.
    alice.put_object(Bucket="site", Key="members.html", Body=b"members", ACL="authenticated-read")
    assert bob.get_object(Bucket="site", Key="members.html")["Body"].read() == b"members"
    assert requests.get(f"{base}/site/members.html").status_code == 403
    # A multipart upload's ACL is the completed object's.
    up = alice.create_multipart_upload(Bucket="site", Key="big.bin", ACL="public-read")
    part = alice.upload_part(Bucket="site", Key="big.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"m" * 1000)
    alice.complete_multipart_upload(Bucket="site", Key="big.bin", UploadId=up["UploadId"],
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert requests.get(f"{base}/site/big.bin").content == b"m" * 1000


def test_copies_need_a_readable_source(two_users):
    port, alice, alice_id, bob, bob_id = two_users
    alice.create_bucket(Bucket="alices")
    alice.put_object(Bucket="alices", Key="secret", Body=b"s" * 100)
    bob.create_bucket(Bucket="bobs")
    assert code(lambda: bob.copy_object(Bucket="bobs", Key="stolen", CopySource={"Bucket": "alices", "Key": "secret"})) == "AccessDenied"
    assert code(lambda: bob.copy_object(Bucket="bobs", Key="probe", CopySource={"Bucket": "alices", "Key": "missing"})) == "AccessDenied"
    up = bob.create_multipart_upload(Bucket="bobs", Key="mp")
    assert code(lambda: bob.upload_part_copy(Bucket="bobs", Key="mp", UploadId=up["UploadId"], PartNumber=1,
                                             CopySource={"Bucket": "alices", "Key": "secret"})) == "AccessDenied"
    assert code(lambda: bob.head_object(Bucket="bobs", Key="stolen")) == "404"
    # Once alice grants READ on the object, the copy works; the copy is bob's and private again.
    alice.put_object_acl(Bucket="alices", Key="secret", ACL="public-read")
    bob.copy_object(Bucket="bobs", Key="copied", CopySource={"Bucket": "alices", "Key": "secret"})
    assert bob.get_object(Bucket="bobs", Key="copied")["Body"].read() == b"s" * 100
    assert requests.get(f"http://127.0.0.1:{port}/bobs/copied").status_code == 403
    assert [g["Permission"] for g in bob.get_object_acl(Bucket="bobs", Key="copied")["Grants"]] == ["FULL_CONTROL"]


def test_scoped_and_read_only_keys_still_restrict_within_their_user(tmp_path):
    with own_daemon(tmp_path) as port:
        alice, _, alice_id = make_user(tmp_path, port, "alice")
        alice.create_bucket(Bucket="one")
        alice.create_bucket(Bucket="two")
        alice.put_object(Bucket="one", Key="k", Body=b"v")
        reader, _, reader_id = make_user(tmp_path, port, "alice", "--read-only")
        assert reader_id == alice_id
        assert reader.get_object(Bucket="one", Key="k")["Body"].read() == b"v"
        assert code(lambda: reader.put_object(Bucket="one", Key="k", Body=b"w")) == "AccessDenied"
        scoped, _, _ = make_user(tmp_path, port, "alice", "--bucket", "one")
        assert [b["Name"] for b in scoped.list_buckets()["Buckets"]] == ["one"]
        assert code(lambda: scoped.put_object(Bucket="two", Key="k", Body=b"w")) == "AccessDenied"


def test_bad_acl_requests_get_s3s_errors_and_change_nothing(two_users):
    port, alice, alice_id, bob, bob_id = two_users
    alice.create_bucket(Bucket="acls")
    alice.put_object(Bucket="acls", Key="k", Body=b"v")
    url = f"http://127.0.0.1:{port}"

    def raw_put(path, headers=None, body=b""):
        # Signed with botocore by hand, so that headers boto3 would refuse reach the gateway.
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        req = AWSRequest(method="PUT", url=url + path, data=body, headers=headers or {})
        S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
        return requests.put(url + path, data=body, headers=dict(req.headers))

    admin = client(port)
    admin.create_bucket(Bucket="adm")
    admin.put_object(Bucket="adm", Key="k", Body=b"v")
    cases = [
        ({"x-amz-acl": "public-read", "x-amz-grant-read": f'id="{bob_id}"'}, b"", 400, "InvalidRequest"),
        ({"x-amz-acl": "world-writable"}, b"", 400, "InvalidArgument"),
        ({"x-amz-grant-read": 'emailAddress="bob@example.com"'}, b"", 400, "UnresolvableGrantByEmailAddress"),
        ({"x-amz-grant-read": 'id="not-an-id"'}, b"", 400, "InvalidArgument"),
        ({"x-amz-grant-read": 'uri="http://example.com/everyone"'}, b"", 400, "InvalidArgument"),
        ({}, b"<AccessControlPolicy><AccessControlList><Grant><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>",
         400, "MalformedACLError"),
        ({}, b"<AccessControlPolicy><Owner>", 400, "MalformedACLError"),
        ({}, b"", 400, "MissingSecurityHeader"),
    ]
    for headers, body, want_status, want_code in cases:
        for path in ("/adm?acl", "/adm/k?acl"):
            r = raw_put(path, headers, body)
            root = ET.fromstring(r.content)
            assert (r.status_code, root.findtext("Code")) == (want_status, want_code), (path, headers, body, r.text)
            assert root.findtext("RequestId")
    assert [g["Permission"] for g in admin.get_bucket_acl(Bucket="adm")["Grants"]] == ["FULL_CONTROL"]
    assert [g["Permission"] for g in admin.get_object_acl(Bucket="adm", Key="k")["Grants"]] == ["FULL_CONTROL"]
    # An object PUT with a bad ACL stores nothing.
    r = raw_put("/adm/new", {"x-amz-acl": "everyone"}, b"body")
    assert r.status_code == 400
    assert code(lambda: admin.head_object(Bucket="adm", Key="new")) == "404"
    # Another user's bucket ACL is not theirs to set.
    assert code(lambda: bob.put_bucket_acl(Bucket="acls", ACL="public-read")) == "AccessDenied"
    assert [g["Permission"] for g in alice.get_bucket_acl(Bucket="acls")["Grants"]] == ["FULL_CONTROL"]


def test_object_acls_follow_versions(two_users):
    port, alice, alice_id, bob, bob_id = two_users
    alice.create_bucket(Bucket="vers")
    alice.put_bucket_versioning(Bucket="vers", VersioningConfiguration={"Status": "Enabled"})
    v1 = alice.put_object(Bucket="vers", Key="k", Body=b"one", ACL="public-read")["VersionId"]
    v2 = alice.put_object(Bucket="vers", Key="k", Body=b"two")["VersionId"]
    base = f"http://127.0.0.1:{port}/vers/k"
    assert requests.get(base).status_code == 403                                     # the latest is private
    assert requests.get(base, params={"versionId": v1}).content == b"one"           # the old one stays public
    r = alice.put_object_acl(Bucket="vers", Key="k", VersionId=v2, ACL="public-read")
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-version-id"] == v2
    assert requests.get(base).content == b"two"
    assert len(alice.list_object_versions(Bucket="vers")["Versions"]) == 2             # no version was made


def test_aws_cli_sets_and_reads_acls(two_users, tmp_path):
    port, alice, alice_id, bob, bob_id = two_users
    alice.create_bucket(Bucket="cli")
    alice.put_object(Bucket="cli", Key="k", Body=b"cli body")
    aws = shutil.which("aws")
    assert aws, "the aws CLI is part of the test set (scripts/ensure-packages.sh)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    # The daemon's key is the default user; alice's bucket is not its: AccessDenied through the CLI too.
    out = subprocess.run([aws, "--endpoint-url", f"http://127.0.0.1:{port}", "s3api", "put-object-acl", "--bucket", "cli",
                          "--key", "k", "--acl", "public-read"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode != 0 and "AccessDenied" in out.stderr
    alice.put_bucket_acl(Bucket="cli", GrantFullControl=f'id="{client_id(port)}"')
    out = subprocess.run([aws, "--endpoint-url", f"http://127.0.0.1:{port}", "s3api", "get-bucket-acl", "--bucket", "cli"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    grants = json.loads(out.stdout)["Grants"]
    assert {(g["Grantee"]["ID"], g["Permission"]) for g in grants} == {(alice_id, "FULL_CONTROL"), (client_id(port), "FULL_CONTROL")}


def client_id(port) -> str:
    """The default user's canonical ID, as the daemon's own key sees it in ListBuckets."""
    return client(port).list_buckets()["Owner"]["ID"]


def test_a_keys_file_naming_a_bad_user_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "keys.json").write_text(json.dumps([{
        "accessKey": "TKAAAAAAAAAAAAAAAAAA", "secretKey": "s" * 40, "readOnly": False,
        "created": "2026-01-01T00:00:00Z", "user": "no spaces allowed"}]))
    out = subprocess.run([BIN, "keys", "list", "--data-dir", str(data)], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "not a user name" in out.stderr
    out = subprocess.run([BIN, "keys", "create", "--data-dir", str(data), "--user", "bad/name"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "is not a user name" in out.stderr
    assert "no spaces allowed" in (data / "keys.json").read_text()   # untouched
