"""rclone (aws-sdk-go v1 based, provider Other, remote `t:` from env vars)."""

import pytest

from itutil import KiB, ODD_KEY, make_file, random_bytes, sha256_file

pytestmark = pytest.mark.core

FILES = {"small.txt": 1 * KiB, "data/blob.bin": 300 * KiB, ODD_KEY: 3 * KiB}


def _make_tree(root):
    return {rel: make_file(root / rel, size) for rel, size in FILES.items()}


def _tree_digests(root):
    return {str(p.relative_to(root)): sha256_file(p) for p in root.rglob("*") if p.is_file()}


def _rclone_ls(stdout):
    """`rclone ls` lines are '<size> <path>' with the size right-aligned."""
    out = {}
    for line in stdout.splitlines():
        if line.strip():
            size, path = line.strip().split(" ", 1)
            out[path] = int(size)
    return out


def test_rclone_copy_ls_copy_back_check(server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    digests = _make_tree(src)

    server.rclone("copy", str(src), f"t:{bucket}/dir")

    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(f"dir/{k}" for k in FILES)

    listed = _rclone_ls(server.rclone("ls", f"t:{bucket}/dir").stdout)
    assert listed == FILES

    back = tmp_path / "back"
    server.rclone("copy", f"t:{bucket}/dir", str(back))
    assert _tree_digests(back) == digests

    server.rclone("check", str(src), f"t:{bucket}/dir")


def test_rclone_check_detects_changed_object(server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    _make_tree(src)
    server.rclone("copy", str(src), f"t:{bucket}/dir")
    # Same size, different bytes: only a correct ETag (MD5) lets rclone notice.
    s3.put_object(Bucket=bucket, Key="dir/small.txt", Body=random_bytes(1 * KiB))
    r = server.rclone("check", str(src), f"t:{bucket}/dir", check=False)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "small.txt" in r.stderr


def test_rclone_copyto_odd_key_and_delete(server, s3, bucket, tmp_path):
    f = tmp_path / "one.txt"
    digest = make_file(f, 1 * KiB)
    server.rclone("copyto", str(f), f"t:{bucket}/{ODD_KEY}")
    got = s3.get_object(Bucket=bucket, Key=ODD_KEY)["Body"].read()
    assert len(got) == 1 * KiB
    out = tmp_path / "out.txt"
    server.rclone("copyto", f"t:{bucket}/{ODD_KEY}", str(out))
    assert sha256_file(out) == digest
    server.rclone("deletefile", f"t:{bucket}/{ODD_KEY}")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_rclone_s3_versions_lists_and_purges(server, s3, bucket_name, tmp_path):
    """rclone --s3-versions lists through ListObjectVersions; purge with it empties and removes the bucket."""
    s3.create_bucket(Bucket=bucket_name)
    _make_tree(tmp_path / "src")
    server.rclone("copy", str(tmp_path / "src"), f"t:{bucket_name}")
    assert _rclone_ls(server.rclone("ls", "--s3-versions", f"t:{bucket_name}").stdout) == FILES
    server.rclone("purge", "--s3-versions", f"t:{bucket_name}")
    assert bucket_name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
