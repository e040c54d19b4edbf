"""A throwaway Redis of the test's own (stopped, paused or answering) and PostgreSQL helpers."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from campaign import ratelimit
from tests.inspections.conftest import category, make_finding  # noqa: F401 — shared builders

# Never the shared Redis: a private server on its own port, without persistence.
PRIVATE_REDIS_PORT = int(os.environ.get("RELIABILITY_REDIS_PORT", "6394"))


class PrivateRedis:
    """`redis-server --port PORT --save ''`, which a test may stop, pause (hung) or resume."""

    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.skip(f"port {self.port} is taken (set RELIABILITY_REDIS_PORT)")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                time.sleep(0.1)  # a server that lost the race for the port exits now
                if self.process.poll() is None:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def pause(self):
        """Hung: the kernel still accepts connections, nothing ever answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(5)
        self.process = None


@pytest.fixture
def private_redis():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(PRIVATE_REDIS_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cache_on(settings):
    """Point Django's cache at a Redis URL with the production options."""

    def point(url):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "OPTIONS": {
                    "socket_connect_timeout": settings.REDIS_CACHE_TIMEOUT_SECONDS,
                    "socket_timeout": settings.REDIS_CACHE_TIMEOUT_SECONDS,
                },
            }
        }

    yield point
    ratelimit._redis_skipped_until = 0.0
