"""gunicorn's configuration for production (``gunicorn -c python:fxa_project.gunicorn``), from the
environment like every other setting.

Threaded workers (``gthread``), so that a slow client (a body trickling in, a slow reader) holds
one thread instead of a whole process: with sync workers, as many slow connections as workers
stall the server, health checks included. Behind a buffering reverse proxy (README) slow clients
never reach gunicorn at all; the threads and time-outs are the defence without one.
"""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request that takes longer than this (a client sending its body that slowly included) ends
# its worker; keep-alive connections idle longer than keepalive are closed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Upstream's request-size limits; gunicorn itself answers beyond them (with HTML: see README).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# One control socket per user by default; several servers on one machine would share it.
control_socket_disable = True
