"""The admin commands read the same configuration as `serve`: --config (or TESSERA_CONFIG) names the data
directory, TESSERA_DATA_DIR overrides the file, a flag overrides both."""

from __future__ import annotations

import json
import os
import subprocess

import boto3
import botocore.exceptions
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


# ---------------------------------------------------------------- the settings reader (swift-configuration)

def start(tmp_path, *args, env=None):
    """A daemon with `args` and `env` added to the environment; returns (proc, port, stderr path)."""
    port = free_port()
    stderr = tmp_path / "serve.stderr"
    proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "data"),
                             "--no-fsync", *args],
                            stdout=subprocess.DEVNULL, stderr=open(stderr, "wb"), env={**os.environ, **(env or {})})
    wait_listening(port, proc, stderr.read_text)
    return proc, port, stderr


def s3_client(port, access, secret):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", aws_access_key_id=access,
                        aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1}))


def test_a_misspelt_environment_variable_is_refused(tmp_path):
    """TESSERA_DATA_DIRR would otherwise leave the daemon on ./data, an empty store: it is an error naming the setting."""
    wanted = tmp_path / "wanted"
    env = dict(os.environ, TESSERA_DATA_DIRR=str(wanted))
    out = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{free_port()}"], capture_output=True, text=True,
                         timeout=60, env=env, cwd=tmp_path)
    assert out.returncode != 0
    assert "TESSERA_DATA_DIRR is not a setting: did you mean TESSERA_DATA_DIR?" in out.stderr, out.stderr
    assert not (tmp_path / "data").exists(), "nothing starts on the default data directory"
    # The admin commands read the same way.
    out = subprocess.run([BIN, "buckets", "list"], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert out.returncode != 0 and "did you mean TESSERA_DATA_DIR?" in out.stderr, out.stderr


def test_secret_key_file_and_a_warning_for_an_unknown_variable(tmp_path):
    secret = "file-secret-0123456789abcdefghijklmnopqr"
    secret_file = tmp_path / "secret"
    secret_file.write_text(secret + "\n")  # the editor's newline is not part of the secret
    proc, port, stderr = start(tmp_path, "--access-key", "AKFROMAFILE000000001", "--secret-key-file", str(secret_file),
                               env={"TESSERA_FROBNICATE_EVERYTHING": "1"})
    try:
        s3_client(port, "AKFROMAFILE000000001", secret).create_bucket(Bucket="from-secret-file")
        try:
            s3_client(port, "AKFROMAFILE000000001", secret + "\n").list_buckets()
            raise AssertionError("the secret with its newline was accepted")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert secret not in open(f"/proc/{proc.pid}/cmdline").read()
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    log = stderr.read_text()
    assert "tessera: warning: environment variable TESSERA_FROBNICATE_EVERYTHING is not a setting and is ignored" in log
    config_line = next(l for l in log.splitlines() if "msg=configuration" in l)
    # The log handler hides every value under a secret-looking name; the reader's own line redacts secrets first.
    assert "secret-key=[redacted]" in config_line and 'region="us-east-1 (default)"' in config_line, config_line
    assert secret not in log


def test_credentials_directory(tmp_path):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "access-key").write_text("AKFROMCREDENTIALS001\n")
    (creds / "secret-key").write_text("credentials-secret-0123456789abcdefghij\n")
    (creds / "region").write_text("eu-credentials-1\n")
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    proc, port, stderr = start(tmp_path, env=env)
    try:
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-credentials-1",
                          aws_access_key_id="AKFROMCREDENTIALS001", aws_secret_access_key="credentials-secret-0123456789abcdefghij",
                          config=Config(retries={"total_max_attempts": 1}))
        # Signed for region eu-credentials-1 and accepted: the key pair and the region came from the directory.
        assert s3.list_buckets()["Buckets"] == []
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    assert "credentials-secret" not in stderr.read_text()
    # A credential that cannot be read stops the start, naming it; so does one that is no setting's.
    (creds / "tasks-token").symlink_to(tmp_path / "gone")
    out = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert out.returncode != 0 and str(creds / "tasks-token") in out.stderr, out.stderr
    (creds / "tasks-token").unlink()
    (creds / "secret_key").write_text("x")
    out = subprocess.run([BIN, "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert out.returncode != 0 and "secret_key is not a setting (the nearest is secret-key)" in out.stderr, out.stderr
