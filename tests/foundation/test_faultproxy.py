"""The fault tests' loopback proxy (tests/faultproxy.py) against an echo server: forwards, cuts
(refused until restored, on the same port), resets once, slows."""
import socket
import socketserver
import threading
import time

import pytest

from tests.faultproxy import FaultProxy, wait_until


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo):
    with FaultProxy("127.0.0.1", echo) as proxy:
        yield proxy


def _connect(proxy):
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=5)


def _roundtrip(sock, data=b"ping"):
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        received += chunk
    return received


def test_forwards_both_ways(proxy):
    with _connect(proxy) as sock:
        assert _roundtrip(sock, b"hello" * 1000) == b"hello" * 1000
        assert proxy.active == 1
    wait_until(lambda: proxy.active == 0, timeout=5, message="the link closed")


def test_cut_drops_and_refuses_until_restored_on_the_same_port(proxy):
    port = proxy.port
    sock = _connect(proxy)
    assert _roundtrip(sock) == b"ping"
    proxy.cut()
    with pytest.raises(OSError):
        _roundtrip(sock)
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        _connect(proxy)
    proxy.restore()
    assert proxy.port == port
    with _connect(proxy) as sock:
        assert _roundtrip(sock) == b"ping"


def test_reset_drops_current_connections_once(proxy):
    sock = _connect(proxy)
    assert _roundtrip(sock) == b"ping"
    proxy.reset()
    with pytest.raises(OSError):
        _roundtrip(sock)
    sock.close()
    with _connect(proxy) as sock:  # new connections are served
        assert _roundtrip(sock) == b"ping"


def test_slow_delays_each_chunk_and_restore_ends_it(proxy):
    with _connect(proxy) as sock:
        proxy.slow(0.2)
        started = time.monotonic()
        assert _roundtrip(sock) == b"ping"
        assert time.monotonic() - started >= 0.4  # there and back
        proxy.restore()
        started = time.monotonic()
        assert _roundtrip(sock) == b"ping"
        assert time.monotonic() - started < 0.2


def test_stop_closes_everything(echo):
    proxy = FaultProxy("127.0.0.1", echo).start()
    sock = _connect(proxy)
    assert _roundtrip(sock) == b"ping"
    proxy.stop()
    with pytest.raises(OSError):
        _roundtrip(sock)
    sock.close()
    with pytest.raises(ConnectionRefusedError):
        _connect(proxy)
