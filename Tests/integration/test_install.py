"""`make install` lays out the binary, the systemd unit, the sample config, the man page and the completions
under DESTDIR/PREFIX; the shipped unit and sample config are the ones the daemon accepts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from daemon import ACCESS_KEY, BIN, REPO, SECRET_KEY, free_port, wait_for_log_line, wait_listening


def test_make_install_lays_out_the_files(tmp_path):
    stage = tmp_path / "stage"
    subprocess.run(["make", "-C", str(REPO), "install", f"DESTDIR={stage}", "PREFIX=/opt/tessera"],
                   check=True, capture_output=True, timeout=1800)
    root = stage / "opt" / "tessera"
    binary = root / "bin" / "tessera"
    assert os.access(binary, os.X_OK)
    assert subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout.startswith("tessera ")
    unit = (root / "lib" / "systemd" / "system" / "tessera.service").read_text()
    assert "Type=notify" in unit.splitlines()
    assert "ExecStart=/opt/tessera/bin/tessera serve --config /etc/tessera/tessera.json" in unit.splitlines()
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit.splitlines()
    man = (root / "share" / "man" / "man1" / "tessera.1").read_text()
    assert ".Dt TESSERA 1" in man and "serve" in man and "--data-dir" in man
    bash = (root / "share" / "bash-completion" / "completions" / "tessera").read_text()
    assert "serve" in bash and "migrate" in bash
    # serve's flags come from the settings table (ServeFlags), completions and man page included.
    assert "'--no-fsync'" in bash and "'--metadata-timeout'" in bash, "serve's settings are not completed"
    assert "--metadata-pool-size" in man and "--no-fsync" in man
    assert "#compdef tessera" in (root / "share" / "zsh" / "site-functions" / "_tessera").read_text()
    assert "complete -c 'tessera'" in (root / "share" / "fish" / "vendor_completions.d" / "tessera.fish").read_text()
    assert (root / "share" / "doc" / "tessera" / "tessera.json").read_bytes() == (REPO / "dist" / "tessera.json").read_bytes()
    # Nothing lands outside DESTDIR/PREFIX.
    assert [p.name for p in stage.iterdir()] == ["opt"]


def test_the_sample_config_is_accepted(tmp_path):
    """Every key of dist/tessera.json is one `serve` knows; flags override its addresses and paths here."""
    port, admin = free_port(), free_port()
    stderr = tmp_path / "stderr"
    proc = subprocess.Popen([BIN, "serve", "--config", str(REPO / "dist" / "tessera.json"),
                             "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                             "--data-dir", str(tmp_path / "data"), "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY],
                            stdout=subprocess.DEVNULL, stderr=open(stderr, "wb"))
    try:
        wait_listening(port, proc, stderr.read_text)
        wait_listening(admin, proc, stderr.read_text)
        # log-format json came from the file (the line may reach the file a moment after the listener opens)
        wait_for_log_line(stderr, lambda line: '"level":"info"' in line)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0, stderr.read_text()
