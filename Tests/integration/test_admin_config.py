"""The admin commands read the same configuration as `serve`: --config (or TESSERA_CONFIG) names the data
directory, TESSERA_DATA_DIR overrides the file, a flag overrides both."""

from __future__ import annotations

import json
import os
import subprocess

import boto3
from botocore.config import Config

from daemon import BIN, free_port, wait_listening


def run(*args, env=None):
    out = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_admin_commands_follow_the_daemons_config_file(tmp_path):
    data = tmp_path / "from-config"
    config = tmp_path / "tessera.json"
    config.write_text(json.dumps({"data-dir": str(data), "fsync": False, "log-level": "warning"}))
    port = free_port()
    proc = subprocess.Popen([BIN, "serve", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "stderr", "wb"))
    try:
        wait_listening(port, proc, (tmp_path / "stderr").read_text)
        # A key made through --config is one the running daemon (same config) accepts.
        printed = run("keys", "create", "--config", str(config))
        access = next(l.split()[-1] for l in printed.splitlines() if "access key" in l.lower())
        secret = next(l.split()[-1] for l in printed.splitlines() if "secret key" in l.lower())
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=access,
                          aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1}))
        s3.create_bucket(Bucket="made-over-s3")
        assert "made-over-s3" in run("buckets", "list", "--config", str(config))
        assert access in run("keys", "list", env=dict(os.environ, TESSERA_CONFIG=str(config)))
        # TESSERA_DATA_DIR beats the file; --data-dir beats both.
        other = tmp_path / "other"
        other.mkdir()
        env = dict(os.environ, TESSERA_DATA_DIR=str(other))
        assert access not in run("keys", "list", "--config", str(config), env=env)
        assert access in run("keys", "list", "--config", str(config), "--data-dir", str(data), env=env)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


def test_a_bad_config_file_is_an_error_for_admin_commands_too(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text('{"data_dir": "/x"}')
    out = subprocess.run([BIN, "buckets", "list", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and 'unknown key "data_dir" (did you mean "data-dir"?)' in out.stderr
