"""Slow clients do not stall the documented server (fxa_project/gunicorn.py: threaded workers):
connections that trickle a body in leave the health check and the API answering."""
import socket
import time

import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.live_stack(worker=False)]

SLOW_CLIENTS = 6  # more than the stack's 2 workers, as many as stalled sync workers before


def _partial_request(stack):
    """A connection that sent its headers and half a body, and then nothing."""
    host, port = stack.url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    body = b'{"email": "slow@example.com"}'
    connection.sendall(
        b"POST /v1/account/status HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        + body[:5]
    )
    return connection


def test_the_server_answers_while_slow_clients_hold_connections(live_stack):
    slow = [_partial_request(live_stack) for _ in range(SLOW_CLIENTS)]
    try:
        started = time.monotonic()
        assert requests.get(live_stack.url + "/__lbheartbeat__", timeout=5).status_code == 200
        response = requests.post(live_stack.url + "/v1/account/status",
                                 json={"email": "fast@example.com"}, timeout=5)
        assert response.status_code == 200 and response.json() == {"exists": False}
        assert time.monotonic() - started < 5
    finally:
        for connection in slow:
            connection.close()
