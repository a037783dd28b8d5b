"""A TCP relay on loopback that passes client-to-server bytes at a set rate, so that a transfer lasts a
known least time however fast the machine is. Server-to-client bytes pass unthrottled."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


def _pump(source: socket.socket, sink: socket.socket, bytes_per_second: float | None) -> None:
    started = time.monotonic()
    passed = 0
    try:
        while True:
            chunk = source.recv(16 << 10)
            if not chunk:
                break
            sink.sendall(chunk)
            passed += len(chunk)
            if bytes_per_second:
                due = started + passed / bytes_per_second
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def throttled_relay(target_port: int, bytes_per_second: float):
    """Yields a port on 127.0.0.1 that relays each connection to `target_port`, its uploads at `bytes_per_second`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    connections: list[socket.socket] = []
    pumps: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", target_port))
            connections.extend([client, server])
            for args in ((client, server, bytes_per_second), (server, client, None)):
                pump = threading.Thread(target=_pump, args=args, daemon=True)
                pump.start()
                pumps.append(pump)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for s in connections:
            with contextlib.suppress(OSError):
                s.close()
        acceptor.join(5)
        for pump in pumps:
            pump.join(5)
