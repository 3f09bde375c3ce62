"""Gunicorn settings for production (`gunicorn strato.wsgi:application -c docker/gunicorn.conf.py`).

Threads suit a Django app that mostly waits on PostgreSQL, Redis and HTTP APIs; each worker process
holds one database connection per thread (CONN_MAX_AGE keeps them). Every value can be changed
through the environment without rebuilding the image.
"""

import os

from gunicorn.glogging import Logger

from apps.core.accesslog import forwarded_client, redact_secrets

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # inside a container, behind a proxy
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak never becomes an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "100"))
# Heartbeat files on tmpfs: a container's overlay filesystem can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The TLS-terminating proxy in front sets X-Forwarded-Proto (see SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# No runtime control socket: nothing uses it and the image should not write beside the code.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'


class StratoAccessLogger(Logger):
    """The access log as the app sees requests: `h` is the client behind NUM_PROXIES trusted
    proxies (not the proxy), and link secrets (hand-off, invitation, signup and password-reset
    tokens) are redacted from the request line, path, query, referrer and every header."""

    num_proxies = int(os.environ.get("NUM_PROXIES", "0"))

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = forwarded_client(
            environ.get("REMOTE_ADDR", "-"),
            environ.get("HTTP_X_FORWARDED_FOR", ""),
            self.num_proxies,
        )
        return {
            key: redact_secrets(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }


logger_class = StratoAccessLogger
