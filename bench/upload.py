"""Upload and gallery benchmark: 12 MP photos through the real web server, its memory, and the gallery.

Runs on the embedded default (SQLite in WAL mode, local private storage) in a
throw-away folder, with a real gunicorn (one sync worker, one thread) serving
the JSON API, and a profile that raises the upload limit to 50 MB:

    python bench/upload.py [--runs 30] [--gallery-runs 20]

1. Upload time: a photo-like 4000×3000 JPEG (quality 90), a different file
   each run, POSTed as multipart to /api/v1/photos with a bearer token;
   client-side wall time until the 201 has been read. Then, in this process,
   the same work split into its steps (darkroom/photos/actions.py), so the
   reader knows where the time goes.
2. Peak RSS of the web worker for uploads of the same 12 MP at about 1, 10 and
   40 MB (and a PNG), for bodies over the limit (refused while streaming, and
   refused on Content-Length alone), and for one 50 MP photo (the profile's
   pixel limit): the worker's RSS sampled every 5 ms during the request, and
   the kernel's own high-water mark (VmHWM, reset through
   /proc/<pid>/clear_refs before each request).
3. Gallery: /photos/ (first page), a page in the middle and the last full page
   (?after=…) with 1,000 and 100,000 photos, in this process through Django's
   test client; time per page, and its SQL queries re-run with their bound
   parameters, with SQLite's plan.

As bench/skeleton.py does, it reports how much CPU other processes used during
each phase (and warns above 5 %), and warns if darkroom's code changed during
the run. Nothing outside the temporary folder is touched.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import io
import json
import os
import platform
import re
import secrets
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

import cv2
import numpy as np
import PIL
import psutil
from harness import HEIGHT, WIDTH, code_files, code_state, hardware, photo_pixels
from harness import CpuWatch as SystemCpuWatch  # bench/harness.py
from PIL import Image

if TYPE_CHECKING:
    from darkroom.accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
MAX_UPLOAD_MB = 50
MAX_MEGAPIXELS = 50
WARMUP = 2
SIZE_REPEATS = 3  # each size case, interleaved; the max is reported
SPLIT_REPEATS = 5  # in-process split of one upload
SAMPLE_SECONDS = 0.005
GALLERY_SIZES = (1_000, 100_000)
BULK_BATCH = 5_000
RESULT_EVERY = 5  # one photo in five is a job's result (the gallery shows a badge for those)
# Not 12 MP: the profile's pixel limit (max_megapixels = 50), to show what memory does follow.
BIG_SIZE = (8160, 6120)
BIG_LABEL = "50 MP JPEG (pixel limit)"
DECODE_LABEL = "  (inside validate_upload) decode only: Image.open + load"
SERVER_START_SECONDS = 60.0
REQUEST_TIMEOUT_SECONDS = 120.0
SEND_CHUNK = 64 * 1024
BOUNDARY = "darkroom-bench-" + secrets.token_hex(8)
MB = 1_000_000
MIB = 1024 * 1024
BUSY_MACHINE = 0.05  # other processes' CPU share above which the figures are flagged (as bench/skeleton.py)
# Infrastructure variables that would take the run off the embedded default.
FOREIGN_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "DARKROOM_QUEUE_NAME",
    "DARKROOM_WORKERS",
    "DARKROOM_HTTPS",
    "ALLOWED_HOSTS",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_PUBLISHABLE_KEY",
    "SECRET_KEY",
    "DEBUG",
)


class CpuWatch(SystemCpuWatch):
    """How much CPU other processes used while a phase ran: 0 % on a quiet machine.

    Own CPU is this process and gunicorn's (master and worker, still running:
    RUSAGE_CHILDREN would not count them yet).
    """

    def __init__(self, pids: Sequence[int] = ()) -> None:
        self.processes = [psutil.Process(pid) for pid in (os.getpid(), *pids)]
        super().__init__()

    def _own(self) -> float:
        total = 0.0
        for process in self.processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


# --- the photos -----------------------------------------------------------
def smooth_pixels(pixels: np.ndarray) -> np.ndarray:
    """The same scene with the grain and noise blurred away (what a low-ISO phone photo compresses like)."""
    return cv2.GaussianBlur(pixels, (0, 0), 2.5)


def encode(pixels: np.ndarray, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_near(pixels: np.ndarray, target: int, qualities: Sequence[int]) -> tuple[bytes, int]:
    """The JPEG of ``pixels`` whose size is closest to ``target`` bytes, and its quality."""
    best: tuple[bytes, int] | None = None
    for quality in qualities:
        data = encode(pixels, "JPEG", quality=quality)
        if best is None or abs(len(data) - target) < abs(len(best[0]) - target):
            best = (data, quality)
    assert best is not None
    return best


def noisy_jpeg_near(pixels: np.ndarray, target: int, seed: int = 40) -> tuple[bytes, float]:
    """A 4:4:4 quality-100 JPEG of ``pixels`` plus Gaussian noise, its strength bisected to land near ``target``."""
    noise = np.random.default_rng(seed).normal(0, 1, size=pixels.shape).astype(np.float32)
    base = pixels.astype(np.float32)
    low, high = 0.0, 160.0
    best: tuple[bytes, float] | None = None
    for _ in range(8):
        sigma = (low + high) / 2
        data = encode(np.clip(base + noise * sigma, 0, 255).astype(np.uint8), "JPEG", quality=100, subsampling=0)
        if best is None or abs(len(data) - target) < abs(len(best[0]) - target):
            best = (data, sigma)
        if abs(len(data) - target) < target * 0.01:
            break
        low, high = (sigma, high) if len(data) < target else (low, sigma)
    assert best is not None
    return best


def with_jpeg_comment(jpeg: bytes, text: str) -> bytes:
    """Same pixels, different bytes: a COM segment right after SOI."""
    comment = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def with_png_text(png: bytes, text: str) -> bytes:
    """Same pixels, different bytes: a tEXt chunk right after IHDR (8-byte signature + 25-byte IHDR)."""
    payload = b"Comment\x00" + text.encode()
    chunk = len(payload).to_bytes(4, "big") + b"tEXt" + payload + zlib.crc32(b"tEXt" + payload).to_bytes(4, "big")
    return png[:33] + chunk + png[33:]


def timed_photos(pixels: np.ndarray, count: int) -> list[bytes]:
    """``count`` JPEGs (quality 90) of the photo, each with one 16×16 patch changed: all different files."""
    files, digests = [], set()
    work = pixels.copy()
    for index in range(count):
        row, col = divmod(index, WIDTH // 16)
        patch = work[row * 16 : row * 16 + 16, col * 16 : col * 16 + 16]
        patch[...] = (index * 37 % 256, index * 91 % 256, 255 - index % 256)
        data = encode(work, "JPEG", quality=90)
        digests.add(hashlib.sha256(data).digest())
        files.append(data)
    assert len(digests) == count, "two of the generated uploads are the same file"
    return files


@dataclass(frozen=True)
class SizeCase:
    label: str
    data: bytes
    filename: str
    content_type: str
    vary: Callable[[bytes, str], bytes]  # makes the bytes differ per run (the service refuses exact duplicates)

    def file(self, run: int) -> bytes:
        return self.vary(self.data, f"darkroom bench size case {self.label} run {run}")


def padded(jpeg: bytes, size: int) -> bytes:
    """A JPEG followed by zero bytes after its EOI, to exactly ``size`` bytes."""
    assert size > len(jpeg)
    return jpeg + bytes(size - len(jpeg))


def keep_size(data: bytes, text: str) -> bytes:
    """A padded body over the limit: the comment goes in, the same number of padding bytes come off the end."""
    varied = with_jpeg_comment(data, text)
    return varied[: len(data)]


def size_cases(pixels: np.ndarray) -> tuple[list[SizeCase], dict[str, str]]:
    """The same 12 MP scene at ~1, ~10 and ~40 MB (JPEG), as a noise PNG, two bodies over the limit; and 50 MP."""
    small, small_quality = jpeg_near(smooth_pixels(pixels), 1 * MB, (70, 80, 85, 88, 90, 92, 94, 96))
    medium, medium_quality = jpeg_near(pixels, 10 * MB, (95, 96, 97, 98, 99))
    large, sigma = noisy_jpeg_near(pixels, 40 * MB)
    # Uniform noise: incompressible, so this is as large as an 8-bit 12 MP RGB PNG gets (~36 MB).
    noise = np.random.default_rng(7).integers(0, 256, size=pixels.shape, dtype=np.uint8)
    png = encode(noise, "PNG", compress_level=1)
    big_width, big_height = BIG_SIZE
    big = encode(cv2.resize(pixels, (big_width, big_height), interpolation=cv2.INTER_CUBIC), "JPEG", quality=90)
    limit = MAX_UPLOAD_MB * MB
    notes = {
        "~1 MB JPEG": f"the scene blurred (σ 2.5 px), quality {small_quality}",
        "~10 MB JPEG": f"the photo, quality {medium_quality}",
        "~40 MB JPEG": f"the photo + Gaussian noise σ {sigma:.0f}, quality 100, 4:4:4",
        "~36 MB PNG": "uniform RGB noise (incompressible: the largest 8-bit 12 MP PNG)",
        f"{(limit + 30_000) / MB:.2f} MB, over the limit": (
            "the ~40 MB JPEG + zero padding; Content-Length under limit + 64 KiB, so it streams until the limit"
        ),
        "60 MB, over the limit": "the ~40 MB JPEG + zero padding; refused on Content-Length",
        BIG_LABEL: (
            f"the photo scaled up to {big_width}×{big_height} ({big_width * big_height / 1e6:.1f} MP), quality 90"
        ),
    }
    cases = [
        SizeCase("~1 MB JPEG", small, "small.jpg", "image/jpeg", with_jpeg_comment),
        SizeCase("~10 MB JPEG", medium, "medium.jpg", "image/jpeg", with_jpeg_comment),
        SizeCase("~40 MB JPEG", large, "large.jpg", "image/jpeg", with_jpeg_comment),
        SizeCase("~36 MB PNG", png, "noise.png", "image/png", with_png_text),
        SizeCase(
            f"{(limit + 30_000) / MB:.2f} MB, over the limit",
            padded(large, limit + 30_000),
            "over.jpg",
            "image/jpeg",
            keep_size,
        ),
        SizeCase("60 MB, over the limit", padded(large, 60 * MB), "huge.jpg", "image/jpeg", keep_size),
        SizeCase(BIG_LABEL, big, "big.jpg", "image/jpeg", with_jpeg_comment),
    ]
    return cases, notes


# --- environment ----------------------------------------------------------
def write_profile(var_dir: Path) -> Path:
    """profiles/demo.toml with photos.max_upload_mb raised to 50 (max_megapixels kept at 50)."""
    text = (ROOT / "profiles" / "demo.toml").read_text(encoding="utf-8")
    text, uploads = re.subn(r"(?m)^max_upload_mb\s*=\s*\d+", f"max_upload_mb = {MAX_UPLOAD_MB}", text)
    text, pixels = re.subn(r"(?m)^max_megapixels\s*=\s*\d+", f"max_megapixels = {MAX_MEGAPIXELS}", text)
    assert uploads == 1, "profiles/demo.toml no longer has exactly one max_upload_mb"
    assert pixels == 1, "profiles/demo.toml no longer has exactly one max_megapixels"
    path = var_dir / "bench-profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def prepare_environment(var_dir: Path) -> dict[str, str]:
    """Point this process (before Django is imported) and gunicorn at a fresh embedded default."""
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    os.environ["DARKROOM_VAR_DIR"] = str(var_dir)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "darkroom.settings"
    os.environ["DARKROOM_PROFILE"] = str(write_profile(var_dir))
    os.environ["LOG_LEVEL"] = "WARNING"
    # This checkout's darkroom, here and in gunicorn, whatever else is installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(ROOT))
    return dict(os.environ)


def setup_django() -> tuple[User, str]:
    """Migrate the throw-away database; create the uploading user and an API token for them."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    import darkroom

    assert Path(darkroom.__file__).resolve().is_relative_to(ROOT), f"darkroom imported from {darkroom.__file__}"
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3", database["ENGINE"]
    assert settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"), settings.STORAGES
    assert settings.PROFILE.photos.max_upload_mb == MAX_UPLOAD_MB, settings.PROFILE.photos
    call_command("migrate", verbosity=0, interactive=False)

    from darkroom.accounts.actions import do_issue_api_token
    from darkroom.accounts.models import User

    user = User.objects.create_user(email="bench@example.com", password=secrets.token_urlsafe(16))
    _token, raw = do_issue_api_token(user, "bench")
    return user, raw


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class WebServer:
    """A real gunicorn serving darkroom.wsgi: one sync worker, one thread."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        command = [
            sys.executable, "-m", "gunicorn", "darkroom.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "1",
            "--timeout", "120",  # as `darkroom serve`: a 36 MB PNG re-encode must not be cut off
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        self.worker_pid = 0

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
        if self.worker_pid and self._find_worker() != self.worker_pid:
            raise RuntimeError(f"gunicorn's worker {self.worker_pid} was replaced:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    def _find_worker(self) -> int:
        children = psutil.Process(self.process.pid).children()
        return children[0].pid if len(children) == 1 else 0

    def wait_ready(self) -> None:
        """Until GET /healthz answers 200; then note the single worker's pid."""
        deadline = time.perf_counter() + SERVER_START_SECONDS
        while True:
            self.check_alive()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                body = response.read()
                connection.close()
                if response.status == 200:
                    break
                last = f"{response.status} {body[:300]!r}"
            except OSError as exc:
                last = repr(exc)
            if time.perf_counter() > deadline:
                raise TimeoutError(
                    f"gunicorn not ready after {SERVER_START_SECONDS:.0f} s ({last}):\n{self.log_tail()}"
                )
            time.sleep(0.2)
        self.worker_pid = self._find_worker()
        if not self.worker_pid:
            raise RuntimeError("gunicorn's master does not have exactly one worker")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


# --- the client -----------------------------------------------------------
@dataclass
class Answer:
    status: int | None  # None: the connection was reset before a response could be read
    seconds: float
    body: bytes
    sent: int  # request body bytes the client managed to send
    total: int  # request body bytes it meant to send
    note: str = ""

    @property
    def stored_mb(self) -> float | None:
        if self.status != 201:
            return None
        return float(json.loads(self.body)["byte_size"]) / MB

    @property
    def detail(self) -> str:
        if self.status is None:
            return self.note
        try:
            return str(json.loads(self.body).get("detail", ""))
        except ValueError:
            return self.body[:200].decode(errors="replace")


def multipart(data: bytes, filename: str, content_type: str) -> bytes:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def post_photo(port: int, token: str, data: bytes, filename: str, content_type: str) -> Answer:
    """POST one file to /api/v1/photos with http.client; stop sending as soon as the server has answered."""
    payload = memoryview(multipart(data, filename, content_type))
    sent, note = 0, ""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        try:
            connection.putrequest("POST", "/api/v1/photos", skip_accept_encoding=True)
            connection.putheader("Authorization", f"Bearer {token}")
            connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
            connection.putheader("Content-Length", str(len(payload)))
            connection.endheaders()
            sock = connection.sock
            assert sock is not None
            while sent < len(payload):
                readable, writable, _ = select.select([sock], [sock], [], REQUEST_TIMEOUT_SECONDS)
                if readable:
                    note = "answered before the whole body was sent"
                    break
                if writable:
                    sent += sock.send(payload[sent : sent + SEND_CHUNK])
        except (BrokenPipeError, ConnectionResetError) as exc:
            note = f"{type(exc).__name__} while sending"
        try:
            response = connection.getresponse()
            body = response.read()
            status: int | None = response.status
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
            status, body = None, b""
            note = f"{note}; {type(exc).__name__} reading the response" if note else type(exc).__name__
    finally:
        connection.close()
    return Answer(status, time.perf_counter() - started, body, sent, len(payload), note)


# --- memory of the worker -------------------------------------------------
def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_high_water_mark(pid: int) -> bool:
    """Reset the kernel's peak RSS of ``pid`` (VmHWM) to its current RSS; False where not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class MemoryWatch:
    """The worker's RSS sampled every 5 ms during one request, and its VmHWM after a reset."""

    pid: int
    before: int = 0
    peak: int = 0
    after: int = 0
    kernel_peak: int | None = None
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _hwm_reset: bool = False

    def _rss(self) -> int:
        rss: int = psutil.Process(self.pid).memory_info().rss
        return rss

    def _run(self) -> None:
        process = psutil.Process(self.pid)
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            self.samples += 1
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> MemoryWatch:
        self._hwm_reset = reset_high_water_mark(self.pid)
        self.before = self.peak = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.after = self._rss()
        hwm = _status_kib(self.pid, "VmHWM") if self._hwm_reset else None
        self.kernel_peak = hwm * 1024 if hwm is not None else None


# --- 1. upload time -------------------------------------------------------
def timed_uploads(server: WebServer, token: str, files: list[bytes], warmup: int) -> list[float]:
    seconds = []
    for index, data in enumerate(files):
        answer = post_photo(server.port, token, data, f"photo-{index}.jpg", "image/jpeg")
        server.check_alive()
        if answer.status != 201:
            raise RuntimeError(f"upload {index} answered {answer.status}: {answer.detail}")
        if index >= warmup:
            seconds.append(answer.seconds)
    return seconds


def split_upload(user: User, files: list[bytes]) -> tuple[list[tuple[str, list[float]]], list[float]]:
    """Each step of do_upload_photo timed on its own, in this process; and do_upload_photo whole."""
    from django.conf import settings
    from django.db import transaction

    from darkroom.photos import actions, storage
    from darkroom.photos.models import Photo
    from darkroom.photos.validation import validate_upload

    limits = settings.PROFILE.photos
    steps: dict[str, list[float]] = {}

    def lap(name: str, begin: float) -> float:
        now = time.perf_counter()
        steps.setdefault(name, []).append(now - begin)
        return now

    half = len(files) // 2
    for data in files[:half]:
        decode_start = time.perf_counter()
        decoded = Image.open(io.BytesIO(data))
        decoded.load()
        steps.setdefault(DECODE_LABEL, []).append(time.perf_counter() - decode_start)
        del decoded
        stream = io.BytesIO(data)
        begin = time.perf_counter()
        sha256 = actions.digest(stream)
        begin = lap("sha256 of the upload (digest)", begin)
        Photo.objects.filter(owner=user, kind=Photo.Kind.UPLOAD, sha256=sha256).first()
        begin = lap("duplicate lookup (one query)", begin)
        clean = validate_upload(
            stream, len(data), max_bytes=limits.max_upload_mb * MB, max_pixels=limits.max_megapixels * MB
        )
        begin = lap("validate_upload: sniff, decode, upright, sRGB, copy", begin)
        body = actions._encode(clean.image, clean.format)
        begin = lap("re-encode the original (actions._encode)", begin)
        preview_image = actions._shrunk(clean.image, actions.PREVIEW_EDGE)
        begin = lap(f"preview resize to {actions.PREVIEW_EDGE} px (actions._shrunk)", begin)
        preview = actions._webp(preview_image, 82)
        begin = lap("preview WebP encode (actions._webp)", begin)
        thumb = actions._webp(actions._shrunk(preview_image, actions.THUMB_EDGE), 75)
        begin = lap(f"thumbnail WebP, {actions.THUMB_EDGE} px, from the preview", begin)
        blurhash = actions._blurhash(preview_image)
        begin = lap("blurhash", begin)
        keys = [storage.new_key("jpg"), storage.new_key("webp"), storage.new_key("webp")]
        for key, blob in zip(keys, (body, preview, thumb), strict=True):
            storage.put(key, blob)
        begin = lap("storage writes (3 files)", begin)
        with transaction.atomic():
            Photo.objects.create(
                owner=user,
                kind=Photo.Kind.UPLOAD,
                file_key=keys[0],
                preview_key=keys[1],
                thumb_key=keys[2],
                content_type="image/jpeg",
                source_format=clean.source_format,
                width=clean.image.width,
                height=clean.image.height,
                byte_size=len(body),
                sha256=sha256,
                blurhash=blurhash,
            )
        lap("database row", begin)
    whole = []
    for data in files[half:]:
        begin = time.perf_counter()
        actions.do_upload_photo(user, io.BytesIO(data), len(data))
        whole.append(time.perf_counter() - begin)
    ordered = [(name, values) for name, values in steps.items() if name != DECODE_LABEL]
    for inner, outer in ((DECODE_LABEL, "validate_upload"),):
        at = next(i for i, (name, _) in enumerate(ordered) if name.startswith(outer))
        ordered.insert(at + 1, (inner, steps[inner]))
    return ordered, whole


# --- 2. peak RSS by size --------------------------------------------------
@dataclass
class SizeResult:
    case: SizeCase
    answers: list[Answer] = field(default_factory=list)
    watches: list[MemoryWatch] = field(default_factory=list)


def measure_sizes(server: WebServer, token: str, cases: list[SizeCase]) -> list[SizeResult]:
    """Each case SIZE_REPEATS times, interleaved (1, 10, 40… then again), so none only follows the bigger ones."""
    results = [SizeResult(case) for case in cases]
    for run in range(SIZE_REPEATS):
        for result in results:
            data = result.case.file(run)
            time.sleep(0.3)  # let the worker settle: nothing else runs there between requests
            with MemoryWatch(server.worker_pid) as watch:
                answer = post_photo(server.port, token, data, result.case.filename, result.case.content_type)
            server.check_alive()
            result.answers.append(answer)
            result.watches.append(watch)
            print(
                f"  {result.case.label:<28} {answer.status} in {answer.seconds * 1000:6.0f} ms, "
                f"RSS +{(watch.peak - watch.before) / MIB:5.1f} MiB (sampled), {answer.note}",
                flush=True,
            )
    return results


# --- 3. gallery -----------------------------------------------------------
@dataclass
class QueryTiming:
    sql: str
    ms: float | None  # median of 5 re-runs; None for a write (not re-run)
    plan: list[str]

    @property
    def short(self) -> str:
        text = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", self.sql)
        return text if len(text) <= 150 else text[:149] + "…"


@dataclass
class GalleryRow:
    photos: int
    page: str
    seconds: list[float]
    queries: list[QueryTiming]  # the statements run through a cursor (not COMMIT)
    logged: int  # CaptureQueriesContext's count: the statements and the COMMIT
    tiles: int
    html_kb: float

    @property
    def sql_ms(self) -> float:
        return sum(query.ms or 0.0 for query in self.queries)

    @property
    def slowest(self) -> QueryTiming:
        return max(self.queries, key=lambda query: query.ms or 0.0)


def insert_photos(owner: User, created: np.ndarray, kinds: np.ndarray, start: int, stop: int) -> None:
    """Photo rows start..stop of the prepared timestamps, in batches; no files (the gallery never reads them)."""
    from darkroom.photos.models import Photo

    created_field = Photo._meta.get_field("created_at")
    epoch = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    rng = np.random.default_rng(start)
    auto_now_add = created_field.auto_now_add  # type: ignore[attr-defined]
    created_field.auto_now_add = False  # type: ignore[attr-defined]  # keep the spread-out timestamps
    try:
        for batch_start in range(start, stop, BULK_BATCH):
            rows = []
            for index in range(batch_start, min(stop, batch_start + BULK_BATCH)):
                token = secrets.token_hex(16)
                wide = bool(rng.random() < 0.7)
                rows.append(
                    Photo(
                        owner=owner,
                        kind=Photo.Kind.RESULT if kinds[index] else Photo.Kind.UPLOAD,
                        file_key=f"{token[:2]}/{token}.jpg",
                        preview_key=f"{token[2:4]}/{token}p.webp",
                        thumb_key=f"{token[4:6]}/{token}t.webp",
                        content_type="image/jpeg",
                        source_format="JPEG",
                        width=4032 if wide else 3024,
                        height=3024 if wide else 4032,
                        byte_size=int(rng.integers(1_500_000, 9_000_000)),
                        sha256=secrets.token_hex(32),
                        blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
                        created_at=epoch + datetime.timedelta(microseconds=int(created[index])),
                    )
                )
            Photo.objects.bulk_create(rows, batch_size=BULK_BATCH)
    finally:
        created_field.auto_now_add = auto_now_add  # type: ignore[attr-defined]


def time_page(client: object, url: str, runs: int) -> tuple[list[float], str]:
    from django.test import Client

    assert isinstance(client, Client)
    html = ""
    for _ in range(2):  # warm-up
        client.get(url)
    seconds = []
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - begin)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
    return seconds, html


class QueryRecorder:
    """An execute wrapper: every statement a request runs, with its real bound parameters."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, object]] = []

    def __call__(
        self, execute: Callable[..., object], sql: str, params: object, many: bool, context: dict[str, object]
    ) -> object:
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def time_query(sql: str, params: object) -> QueryTiming:
    """Re-run one SELECT with its bound parameters 5 times; and SQLite's plan for it.

    Bound, not inlined: SQLite can choose a different plan for literals than
    for parameters, and Django always binds.
    """
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return QueryTiming(sql, None, [])
    laps = []
    with connection.cursor() as cursor:
        for _ in range(5):
            begin = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            laps.append(time.perf_counter() - begin)
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = [str(row[-1]) for row in cursor.fetchall()]
    return QueryTiming(sql, float(np.median(laps)) * 1000, plan)


def measure_gallery(runs: int) -> list[GalleryRow]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from darkroom.accounts.models import User
    from darkroom.photos.models import Photo
    from darkroom.photos.views import PAGE_SIZE

    owner = User.objects.create_user(email="gallery@example.com", password=secrets.token_urlsafe(16))
    client = Client(HTTP_HOST="localhost")
    client.force_login(owner)
    total = max(GALLERY_SIZES)
    rng = np.random.default_rng(100)
    now = int(
        (datetime.datetime.now(datetime.UTC) - datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)).total_seconds()
    )
    three_years = 3 * 365 * 86_400
    # Microseconds since 2000, spread over the last three years, in random insertion order.
    created = rng.integers((now - three_years) * 1_000_000, now * 1_000_000, size=total, dtype=np.int64)
    rank = np.empty(total, dtype=np.int64)
    rank[np.argsort(created)] = np.arange(total)
    kinds = rank % RESULT_EVERY == 0  # every fifth photo in time order is a result: 12 on every page of 60
    rows: list[GalleryRow] = []
    inserted = 0
    for size in GALLERY_SIZES:
        began = time.perf_counter()
        insert_photos(owner, created, kinds, inserted, size)
        inserted = size
        print(f"  {size:,} photos inserted in {time.perf_counter() - began:.1f} s", flush=True)
        newest_first = Photo.objects.filter(owner=owner).order_by("-created_at", "-id")
        pages = [("first page", "/photos/")]
        for position in (size // 2, size - PAGE_SIZE):  # the middle; the last full page
            anchor = newest_first.values_list("public_id", flat=True)[position - 1]
            pages.append((f"page after photo #{position:,}", f"/photos/?after={anchor}"))
        for label, url in pages:
            seconds, html = time_page(client, url, runs)
            recorder = QueryRecorder()
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(recorder):
                client.get(url)
            rows.append(
                GalleryRow(
                    photos=size,
                    page=label,
                    seconds=seconds,
                    queries=[time_query(sql, params) for sql, params in recorder.statements],
                    logged=len(captured.captured_queries),
                    tiles=html.count('class="tile"'),
                    html_kb=len(html.encode()) / 1024,
                )
            )
            print(f"  {size:,} photos, {label}: p50 {np.median(seconds) * 1000:.1f} ms", flush=True)
    return rows


# --- report ---------------------------------------------------------------
def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(load_at_start: str) -> list[tuple[str, str]]:
    import django
    import gunicorn

    return [
        *hardware(),
        ("load average (1, 5, 15 min)", f"{load_at_start} at the start, {load_average()} at the end"),
        ("python", platform.python_version()),
        ("numpy / pillow / opencv", f"{np.__version__} / {PIL.__version__} / {cv2.__version__}"),
        ("django / gunicorn / sqlite", f"{django.get_version()} / {gunicorn.__version__} / {sqlite3.sqlite_version}"),
    ]


def percentiles(values: Sequence[float]) -> tuple[float, float, float, float]:
    ms = np.asarray(values) * 1000
    p50, p95 = np.percentile(ms, [50, 95])
    return float(p50), float(p95), float(ms.min()), float(ms.max())


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value / MIB:.0f}"


def report_uploads(files: list[bytes], seconds: list[float], stored_mb: float | None) -> None:
    print("\n### Upload: 12 MP JPEG → stored with derivatives, through gunicorn\n")
    sizes = np.asarray([len(data) for data in files]) / MB
    print(
        f"- {WIDTH}×{HEIGHT} photo-like JPEG, quality 90, {sizes.min():.2f}–{sizes.max():.2f} MB; "
        f"a different file every run (one 16×16 patch changed)"
    )
    stored = f"{stored_mb:.2f} MB" if stored_mb is not None else "?"
    print(f"- stored: the original re-encoded as JPEG ({stored}) + a 1600 px WebP preview + a 400 px WebP thumbnail")
    print("- POST /api/v1/photos, multipart, bearer token; client wall time until the 201 has been read")
    print(f"- {len(seconds)} runs after {WARMUP} warm-ups; gunicorn: 1 sync worker, 1 thread\n")
    p50, p95, low, high = percentiles(seconds)
    print("|   n | p50 ms | p95 ms | min ms | max ms |\n| --: | -----: | -----: | -----: | -----: |")
    print(f"| {len(seconds):>3} | {p50:6.0f} | {p95:6.0f} | {low:6.0f} | {high:6.0f} |")


def report_split(steps: list[tuple[str, list[float]]], whole: list[float]) -> None:
    print("\n### Where the time of one upload goes (in this process, no HTTP)\n")
    total = sum(float(np.median(values)) for name, values in steps if not name.startswith("  "))
    count = len(steps[0][1])
    print(f"Median of {count} uploads per step (the same photo, a different file each time):\n")
    print(f"| {'step':<58} | median ms | share |\n| {'-' * 58} | --------: | ----: |")
    for name, values in steps:
        median = float(np.median(values)) * 1000
        share = "" if name.startswith("  ") else f"{median / (total * 1000) * 100:4.0f} %"
        print(f"| {name:<58} | {median:9.0f} | {share:>5} |")
    print(f"| {'sum of the steps':<58} | {total * 1000:9.0f} |       |")
    p50, _p95, low, high = percentiles(whole)
    label = f"do_upload_photo as one call (median of {len(whole)}; min–max)"
    print(f"| {label:<58} | {p50:9.0f} | {low:.0f}–{high:.0f} |")


def report_sizes(results: list[SizeResult], notes: dict[str, str]) -> None:
    print("\n### Peak RSS of the web worker by upload size (12 MP each time; the last row 50 MP)\n")
    print(
        f"Each case {SIZE_REPEATS} times, interleaved; the max is shown. *Idle* is the worker's RSS just before the "
        "request; *peak* is sampled every 5 ms (psutil) and, exactly, the kernel's VmHWM after resetting it "
        "through /proc/<pid>/clear_refs; *after* is the RSS once the response has been read.\n"
    )
    print(
        "| upload | file MB | answer | stored MB | time ms | idle RSS MiB | peak − idle, sampled MiB "
        "| peak − idle, VmHWM MiB | peak VmHWM MiB | after MiB |"
    )
    print("| --- | --: | --- | --: | --: | --: | --: | --: | --: | --: |")
    for result in results:
        answers, watches = result.answers, result.watches
        statuses = sorted({str(a.status) if a.status is not None else "reset" for a in answers})
        stored = [a.stored_mb for a in answers if a.stored_mb is not None]
        kernel = [w.kernel_peak for w in watches if w.kernel_peak is not None]
        print(
            f"| {result.case.label} | {len(result.case.data) / MB:.2f} | {'/'.join(statuses)} "
            f"| {f'{max(stored):.2f}' if stored else '—'} | {max(a.seconds for a in answers) * 1000:.0f} "
            f"| {mib(max(w.before for w in watches))} | {mib(max(w.peak - w.before for w in watches))} "
            f"| {mib(max(k - w.before for k, w in zip(kernel, watches, strict=False)) if kernel else None)} "
            f"| {mib(max(kernel) if kernel else None)} | {mib(max(w.after for w in watches))} |"
        )
    print("\nThe files, and what the server said:\n")
    for result in results:
        answer = result.answers[-1]
        sent = f"{answer.sent / MB:.1f} of {answer.total / MB:.1f} MB of the body sent"
        said = f"{answer.status}: {answer.detail}" if answer.status != 201 else "201"
        extra = f"; {answer.note}" if answer.note else ""
        print(f"- {result.case.label}: {notes[result.case.label]}. Last run: {said} ({sent}{extra}).")


def report_gallery(rows: list[GalleryRow], runs: int) -> None:
    print("\n### Gallery page (/photos/, 60 photos a page)\n")
    print(
        f"In this process through Django's test client (no gunicorn): {runs} runs after 2 warm-ups. One photo in "
        f"{RESULT_EVERY} is a job's result. *Queries* is CaptureQueriesContext's count for one request (COMMIT "
        "included); *SQL ms* is the sum of their SELECTs, each re-run on its own with its bound parameters "
        "(median of 5); *slowest* is the slowest of them.\n"
    )
    print("| photos | page | p50 ms | p95 ms | queries | SQL ms | slowest query ms | tiles | HTML KiB |")
    print("| --: | --- | --: | --: | --: | --: | --: | --: | --: |")
    for row in rows:
        p50, p95, _low, _high = percentiles(row.seconds)
        print(
            f"| {row.photos:,} | {row.page} | {p50:.1f} | {p95:.1f} | {row.logged} | {row.sql_ms:.2f} "
            f"| {row.slowest.ms or 0.0:.2f} | {row.tiles} | {row.html_kb:.0f} |"
        )
    deepest = rows[-1]
    print(f"\nThe queries of the {deepest.page} at {deepest.photos:,} photos, with SQLite's plan:\n")
    print("| ms | query | plan |\n| --: | --- | --- |")
    for query in deepest.queries:
        ms = "write" if query.ms is None else f"{query.ms:.2f}"
        sql = query.short.replace("|", "\\|")
        print(f"| {ms} | `{sql}` | {'; '.join(query.plan)} |")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed uploads of the 12 MP JPEG (default 30)")
    parser.add_argument("--gallery-runs", type=int, default=20, help="timed requests per gallery page (default 20)")
    args = parser.parse_args(argv)
    if min(args.runs, args.gallery_runs) < 1:
        parser.error("--runs and --gallery-runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    load_at_start = load_average()
    var_dir = Path(tempfile.mkdtemp(prefix="darkroom-bench-upload-"))
    server: WebServer | None = None
    try:
        env = prepare_environment(var_dir)
        print(f"Throw-away embedded default in {var_dir} (photos.max_upload_mb = {MAX_UPLOAD_MB})", flush=True)
        code, files_at_start = code_state(), code_files()
        print("Generating the photos…", flush=True)
        pixels = photo_pixels()
        files = timed_photos(pixels, WARMUP + args.runs + 2 * SPLIT_REPEATS)
        upload_files, split_files = files[: WARMUP + args.runs], files[WARMUP + args.runs :]
        cases, notes = size_cases(pixels)
        for case in cases:
            print(f"  {case.label}: {len(case.data) / MB:.2f} MB", flush=True)
        user, token = setup_django()
        others: dict[str, float] = {}

        server = WebServer(env, var_dir / "gunicorn.log")
        server.wait_ready()
        print(f"gunicorn on port {server.port}, worker pid {server.worker_pid}", flush=True)
        print(f"Uploading {WARMUP} + {args.runs} photos…", flush=True)
        watch = CpuWatch((server.process.pid, server.worker_pid))
        seconds = timed_uploads(server, token, upload_files, WARMUP)
        others["upload time"] = watch.others()
        from darkroom.photos.models import Photo

        stored = Photo.objects.filter(owner=user).values_list("byte_size", flat=True).first()
        print("Peak RSS by upload size…", flush=True)
        watch = CpuWatch((server.process.pid, server.worker_pid))
        size_results = measure_sizes(server, token, cases)
        others["peak RSS by size"] = watch.others()
        log_tail = server.log_tail()
        server.stop()
        server = None

        print("Splitting one upload into its steps, in this process…", flush=True)
        watch = CpuWatch()
        steps, whole = split_upload(user, split_files)
        others["split of one upload"] = watch.others()
        print("Gallery…", flush=True)
        watch = CpuWatch()
        gallery = measure_gallery(args.gallery_runs)
        others["gallery"] = watch.others()

        print("\n## Uploads and gallery (bench/upload.py)\n")
        print("### Machine and code\n")
        for key, value in machine(load_at_start):
            print(f"- {key}: {value}")
        print(f"- code: {code}")
        print("- other processes' share of the machine's CPU: " + ", ".join(f"{k} {v:.0%}" for k, v in others.items()))
        report_uploads(upload_files, seconds, float(stored) / MB if stored else None)
        report_split(steps, whole)
        report_sizes(size_results, notes)
        report_gallery(gallery, args.gallery_runs)
        if "Traceback" in log_tail or "WORKER TIMEOUT" in log_tail:
            print(f"\nNote: gunicorn's log has errors; its tail:\n{log_tail}")
        busiest = max(others, key=lambda phase: others[phase])
        if others[busiest] > BUSY_MACHINE:
            print(
                f"\nWARNING: other processes used {others[busiest]:.0%} of the CPU during {busiest};"
                " the timings are slower and noisier than on a quiet machine (memory figures are not affected)."
            )
        files_now = code_files()
        changed = sorted(
            name for name in files_at_start.keys() | files_now.keys() if files_at_start.get(name) != files_now.get(name)
        )
        if changed:
            print(f"\nWARNING: these files changed while the bench ran: {', '.join(changed)}.")
        print(f"\nTotal bench time: {time.perf_counter() - began:.0f} s")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
