"""A loopback TCP proxy for the fault tests: put it between the app and PostgreSQL, Redis or SMTP,
then cut, slow or reset the link from the test, without touching the machine's real services.

    with FaultProxy("127.0.0.1", 6379) as proxy:      # listens on 127.0.0.1:proxy.port
        env = {"REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0"}
        ...
        proxy.cut()       # every connection closed; new ones refused (the port stops listening)
        proxy.restore()   # listening again, at full speed
        proxy.reset()     # the current connections dropped once (RST); new ones are served
        proxy.slow(0.5)   # each chunk, either way, forwarded 0.5 s late

The proxy's own waits (the delay of ``slow``) are its behaviour, not a synchronisation: tests
poll what they wait for with a deadline (``wait_until``).
"""
import socket
import struct
import threading
import time

__all__ = ["FaultProxy", "wait_until"]

CHUNK = 65536


def wait_until(condition, timeout=20, interval=0.05, message="condition"):
    """Poll ``condition()`` until it is truthy (returned), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{message} not met within {timeout}s"
        time.sleep(interval)


def _abort(sock):
    """Close with a TCP RST (SO_LINGER 0), as a crashed peer or a dropped link does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv on it
    except OSError:
        pass
    sock.close()


class _Link:
    """One client connection and its upstream connection, pumped by two threads."""

    def __init__(self, proxy, client, upstream):
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True),
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True),
        ]

    def start(self):
        for thread in self.threads:
            thread.start()

    def _pump(self, source, sink):
        try:
            while not self.closed.is_set():
                data = source.recv(CHUNK)
                if not data:
                    break
                delay = self.proxy.delay
                if delay:
                    # Interruptible: a cut or a reset does not wait for the delay to run out.
                    if self.closed.wait(delay):
                        break
                sink.sendall(data)
        except OSError:
            pass
        self.close(abort=False)

    def close(self, abort=True):
        with self.lock:
            if self.closed.is_set():
                return
            self.closed.set()
        for sock in (self.client, self.upstream):
            if abort:
                _abort(sock)
            else:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        self.proxy._forget(self)


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host``:``target_port``; see the module docstring."""

    def __init__(self, target_host, target_port, port=0):
        self.target = (target_host, int(target_port))
        self.port = port
        self.delay = 0.0
        self.connections_made = 0
        self._links = set()
        self._lock = threading.Lock()
        self._listener = None
        self._acceptor = None
        self._running = False

    # -- life cycle -------------------------------------------------------------------------
    def start(self):
        self._running = True
        self._listen()
        return self

    def stop(self):
        self._running = False
        self._unlisten()
        self._drop_all()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    # -- controls ---------------------------------------------------------------------------
    def cut(self):
        """Close every connection (RST) and refuse new ones until ``restore()``."""
        self._unlisten()
        self._drop_all()

    def reset(self):
        """Drop the current connections once (RST); new ones are served as before."""
        self._drop_all()

    def slow(self, seconds):
        """Forward each chunk ``seconds`` late, in both directions (0: full speed)."""
        self.delay = float(seconds)

    def restore(self):
        """Listening again, at full speed."""
        self.delay = 0.0
        if self._running and self._listener is None:
            self._listen()

    @property
    def active(self):
        """How many client connections are open through the proxy now."""
        with self._lock:
            return len(self._links)

    def upstream_ports(self):
        """The local ports of the proxy's connections to the target (what the target sees as
        the clients' ports: ``pg_stat_activity.client_port``)."""
        with self._lock:
            links = list(self._links)
        ports = set()
        for link in links:
            try:
                ports.add(link.upstream.getsockname()[1])
            except OSError:
                pass
        return ports

    # -- internals --------------------------------------------------------------------------
    def _listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))  # the same port again after a cut
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True,
                                          name=f"faultproxy-{self.port}")
        self._acceptor.start()

    def _unlisten(self):
        listener, acceptor = self._listener, self._acceptor
        self._listener = self._acceptor = None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
            except OSError:
                pass
            listener.close()
        if acceptor is not None:
            acceptor.join(timeout=5)

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: cut or stop
            if listener is not self._listener:  # cut meanwhile
                _abort(client)
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _abort(client)  # the target is down too: the client sees the link drop
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(self, client, upstream)
            with self._lock:
                self._links.add(link)
                self.connections_made += 1
            link.start()

    def _forget(self, link):
        with self._lock:
            self._links.discard(link)

    def _drop_all(self):
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close(abort=True)
