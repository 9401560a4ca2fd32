"""Test settings: the real settings, with a private var/ and queue name per run.

The environment is set before importing darkroom.settings, and worker
processes that tests start inherit it, so they share this run's database
file, queue and storage.
"""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

os.environ.setdefault("DARKROOM_VAR_DIR", tempfile.mkdtemp(prefix="darkroom-test-"))
# The models `make test` fetched into the checkout's var/ (tests never download them).
os.environ.setdefault("DARKROOM_MODELS_DIR", str(Path(__file__).resolve().parent.parent / "var" / "models"))
os.environ.setdefault("DARKROOM_QUEUE_NAME", f"darkroom-test-{os.getpid()}")
# Rate limits live in the cache; a prefix of its own keeps this run's apart (Redis is shared).
os.environ.setdefault("DARKROOM_CACHE_PREFIX", f"darkroom-test-{os.getpid()}")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "x" * 20)

if os.environ.get("DARKROOM_TEST_S3") == "1" and not os.environ.get("AWS_S3_ENDPOINT_URL"):
    # tests/conftest.py starts `rclone serve s3` on this port for the session.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ.update(
        {
            "AWS_STORAGE_BUCKET_NAME": "darkroom-test",
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "darkroom-test-key",
            "AWS_SECRET_ACCESS_KEY": "darkroom-test-secret",
        }
    )

from darkroom.settings import *  # noqa: F403

# Django's test runner would otherwise send mail to the console.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
