"""Shared fixtures: named users, images, the queue, the S3 server, no network."""

from __future__ import annotations

import datetime
import io
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import storages
from PIL import Image

import darkroom.urls  # noqa: F401 - see below
from darkroom.accounts.models import User

# allauth builds its URL patterns from the settings at first import; import them
# now, under the demo profile (every way in), before any test switches profile.

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# --- the suite cannot reach the network -----------------------------------
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    inet = self.family in (socket.AF_INET, socket.AF_INET6)
    if inet and isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
        raise RuntimeError(f"tests may not reach the network (tried {host})")
    return _real_connect(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


# --- real services --------------------------------------------------------
def _wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="session", autouse=True)
def s3_server() -> Iterator[Path | None]:
    """With DARKROOM_TEST_S3=1, a real S3-compatible server (rclone) for the whole session."""
    if os.environ.get("DARKROOM_TEST_S3") != "1":
        yield None
        return
    rclone = shutil.which("rclone") or str(Path(sys.executable).parent / "rclone")
    root = Path(tempfile.mkdtemp(prefix="darkroom-s3-"))
    (root / os.environ["AWS_STORAGE_BUCKET_NAME"]).mkdir()
    port = int(os.environ["AWS_S3_ENDPOINT_URL"].rsplit(":", 1)[1])
    process = subprocess.Popen(
        [
            rclone,
            "serve",
            "s3",
            str(root),
            "--addr",
            f"127.0.0.1:{port}",
            "--auth-key",
            f"{os.environ['AWS_ACCESS_KEY_ID']},{os.environ['AWS_SECRET_ACCESS_KEY']}",
            "--vfs-cache-mode",
            "off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield root / os.environ["AWS_STORAGE_BUCKET_NAME"]
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def stored_objects() -> list[str]:
    """Every object in the private storage, listed from the storage itself."""
    storage = storages["default"]

    def walk(prefix: str) -> list[str]:
        directories, files = storage.listdir(prefix)
        found = [f"{prefix}{name}" for name in files]
        for directory in directories:
            found += walk(f"{prefix}{directory}/")
        return found

    try:
        return sorted(walk(""))
    except FileNotFoundError:
        return []


def _real_utc_now(remove_tzinfo: bool = True) -> datetime.datetime:
    hatch = time_machine.escape_hatch
    now = hatch.datetime.datetime.now(datetime.UTC) if hatch.is_travelling() else datetime.datetime.now(datetime.UTC)
    return now.replace(tzinfo=None) if remove_tzinfo else now


@pytest.fixture(autouse=True)
def _s3_signs_with_the_real_time() -> Iterator[None]:
    """Tests travel in time; S3 refuses a request signed minutes off the real time, so boto3 never travels.

    A patch of its own, so a test's ``monkeypatch.undo()`` leaves it in place.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("botocore.auth.get_current_datetime", _real_utc_now)
        yield


@pytest.fixture(autouse=True)
def _empty_storage() -> Iterator[None]:
    """Each test starts and ends with an empty private storage."""
    yield
    storage = storages["default"]
    for key in stored_objects():
        storage.delete(key)


@pytest.fixture(autouse=True)
def _empty_cache(request: pytest.FixtureRequest, django_db_blocker: pytest.FixtureRequest) -> None:
    """Each test starts with no rate-limit history (the cache is the database or Redis).

    A test without database access cannot reach a database cache either, and
    a run of only such tests (the engine's) has no test database to clear.
    """
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, RedisCache):
        # Not clear(): that would FLUSHDB, and the queue shares the Redis database.
        client = cache._cache.get_client(None, write=True)
        for key in client.scan_iter(match=f"{cache.key_prefix}:*"):
            client.delete(key)
    elif "_django_db_helper" in request.fixturenames:
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            cache.clear()


@pytest.fixture
def huey_queue() -> Iterator[object]:
    """The real queue (SQLite or Redis), emptied before and after the test."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    yield HUEY
    HUEY.flush()


def drain(huey: object, limit: int = 20) -> int:
    """Run queued tasks in this process, as a consumer would; return how many ran."""
    ran = 0
    while ran < limit:
        task = huey.dequeue()  # type: ignore[attr-defined]
        if task is None:
            break
        huey.execute(task)  # type: ignore[attr-defined]
        ran += 1
    return ran


def fetch_signed(client: object, url: str) -> tuple[int, bytes, dict[str, str]]:
    """Follow a signed file URL: the local signed view through ``client``, or the S3 server over HTTP."""
    if url.startswith("http"):
        import urllib.request

        with urllib.request.urlopen(url) as answer:  # the rclone S3 server on 127.0.0.1
            return answer.status, answer.read(), dict(answer.headers)
    response = client.get(url)  # type: ignore[attr-defined]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body, dict(response.headers)


# --- people ---------------------------------------------------------------
def _user(email: str) -> User:
    """A user as sign-up leaves one: a verified primary address (verification is mandatory), the policy accepted."""
    from allauth.account.models import EmailAddress

    from darkroom.privacy.models import PolicyAcceptance
    from darkroom.privacy.policy_versions import do_accept_policy

    user = User.objects.create_user(email=email, password="correct horse battery staple")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    do_accept_policy(user, via=PolicyAcceptance.Via.SIGN_UP)  # sign-up records consent to the policy in force
    return user


@pytest.fixture
def alice(db: None) -> User:
    """The owner."""
    return _user("alice@example.com")


@pytest.fixture
def bob(db: None) -> User:
    """Another customer."""
    return _user("bob@example.com")


@pytest.fixture
def mallory(db: None) -> User:
    """Someone who must be refused everything of alice's."""
    return _user("mallory@example.com")


def fund(user: User, credits: int = 500) -> None:
    """Credits as a purchase leaves them: every job costs credits (buying them is tests/billing's)."""
    import uuid

    from darkroom.billing import ledger

    ledger.credit(user, credits, key=f"test-funds:{uuid.uuid4()}", reference="test", description="Test credits")


@pytest.fixture
def funded_alice(request: pytest.FixtureRequest) -> None:
    """Alice with credits, for the test directories whose tests run jobs (their conftest makes it autouse)."""
    if "alice" in request.fixturenames:
        fund(request.getfixturevalue("alice"))


# --- images ---------------------------------------------------------------
_photo_seeds = itertools.count(1)


def make_photo(
    width: int = 640, height: int = 480, fmt: str = "JPEG", seed: int | None = None, **save: object
) -> bytes:
    """A photo-like image: smooth gradients plus texture, so codecs behave as on real photos.

    Each call makes a different image (duplicates are refused), unless ``seed`` is given.
    """
    rng = np.random.default_rng(next(_photo_seeds) if seed is None else seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x / width * 180 + 30, y / height * 150 + 40, (x + y) / (width + height) * 120 + 60], axis=-1)
    noise = rng.normal(0, 8, size=(height, width, 3))
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.fixture
def jpeg() -> bytes:
    return make_photo()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    """Playwright drives Debian's Chromium; it cannot download a browser here."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path("/usr/bin/chromium").exists():
        return
    if IN_CI:
        raise pytest.UsageError("Chromium (/usr/bin/chromium) is missing; CI must install it, not skip e2e tests.")
    skip = pytest.mark.skip(reason="install Debian's chromium to run browser tests: apt-get install -y chromium")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


__all__ = ["drain", "make_photo", "settings", "stored_objects"]


# --- real worker processes ------------------------------------------------
def _database_url_of_test_db() -> str:
    """DATABASE_URL that points a child process at this test run's database."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{params.get('HOST') or '127.0.0.1'}:{params.get('PORT') or 5432}/{params['NAME']}"


class WorkerProcess:
    """A real `darkroom worker` (Huey consumer) on this run's database, queue and storage."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="darkroom-worker-", suffix=".log", delete=False)  # noqa: SIM115
        child_env = {**os.environ, "DATABASE_URL": _database_url_of_test_db(), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "darkroom.cli", "worker", "--workers", "1", "--delay", "0.05", *args],
            env=child_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        """SIGKILL: the worker gets no chance to clean up, as in a crash or an OOM kill."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")


@pytest.fixture
def worker_process(transactional_db: None, huey_queue: object) -> Iterator[type[WorkerProcess]]:
    """Start real worker processes; every one is stopped after the test."""
    started: list[WorkerProcess] = []

    class Tracked(WorkerProcess):
        def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
            super().__init__(*args, env=env)
            started.append(self)

    yield Tracked
    for worker in started:
        worker.stop()
        Path(worker.log.name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Any]]:
    """Local fakes of OpenAI, Replicate, Kling and Anthropic, spoken to by their official SDKs over HTTP."""
    from tests.studio.providers.fake_anthropic import FakeAnthropic
    from tests.studio.providers.fake_kling import FakeKling
    from tests.studio.providers.fake_openai import FakeOpenAI
    from tests.studio.providers.fake_replicate import FakeReplicate

    servers: dict[str, Any] = {
        "openai": FakeOpenAI(),
        "replicate": FakeReplicate(),
        "kling": FakeKling(),
        "anthropic": FakeAnthropic(),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()
