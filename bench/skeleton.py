"""Skeleton benchmark: a 12-megapixel JPEG from upload to the job's result stored.

Runs on the embedded default (SQLite in WAL mode, Huey on SQLite, local private
storage) in a throw-away folder, with a real ``darkroom worker`` subprocess:

    python bench/skeleton.py [--runs 30] [--idle-runs 10] [--idle-seconds 5]

For each consumer configuration (the one ``make run`` gets from darkroom's
settings, and a faster-polling one) it measures, back to back, upload → queued
and queued → succeeded, the latter split by the job's own timestamps into the
consumer's pickup (created_at → started_at) and the run (started_at →
finished_at); then the pickup after the queue has been empty for a while, when
Huey has backed off its polling. Last, it profiles one upload and one job in
this process to show where the time goes. Nothing outside the temporary folder
is touched.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import cv2
import numpy as np
import PIL
from harness import HEIGHT, WIDTH, CpuWatch, code_files, code_state, hardware, photo_pixels  # bench/harness.py
from PIL import Image

if TYPE_CHECKING:
    from darkroom.accounts.models import User
    from darkroom.photos.models import Photo
    from darkroom.studio.models import Job

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.01
JOB_TIMEOUT_SECONDS = 120.0
WORKER_STOP_SECONDS = 45.0
SWEEP_PERIOD_SECONDS = 60.0  # Huey's scheduler enqueues the periodic job sweep once a minute
BUSY_MACHINE = 0.05  # other processes' CPU share above which the figures are flagged
# Infrastructure variables that would take the run off the embedded default.
FOREIGN_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "DARKROOM_QUEUE_NAME",
    "DARKROOM_WORKERS",
    "SECRET_KEY",
    "DEBUG",
)


@dataclass(frozen=True)
class Consumer:
    """A Huey consumer's polling: the options given to ``darkroom worker`` and what they amount to."""

    name: str
    options: tuple[str, ...]
    initial_delay: float
    max_delay: float
    backoff: float = 1.15


HUEY_STOCK = Consumer("Huey's own default (-d 0.1 -m 10)", ("--max-delay", "10"), 0.1, 10.0)
FAST = Consumer("--delay 0.05 --max-delay 1", ("--delay", "0.05", "--max-delay", "1"), 0.05, 1.0)


def shipped_consumer() -> Consumer:
    """What `make run` gets: darkroom's settings.HUEY["consumer"] over Huey's defaults."""
    from django.conf import settings
    from huey.consumer_options import config_defaults

    options = {**dict(config_defaults), **settings.HUEY.get("consumer", {})}
    delay, maximum, backoff = (float(options[k]) for k in ("initial_delay", "max_delay", "backoff"))
    return Consumer(f"as shipped (settings: -d {delay:g} -m {maximum:g})", (), delay, maximum, backoff)


@dataclass
class Sample:
    """One job, timed from the bench (perf_counter) and from the job row (DB timestamps)."""

    upload: float  # do_upload_photo
    create: float  # do_create_job: row committed, task enqueued
    queued_to_succeeded: float  # create returned → this process saw state=succeeded
    pickup: float  # created_at → started_at
    run: float  # started_at → finished_at

    @property
    def upload_to_queued(self) -> float:
        return self.upload + self.create

    @property
    def end_to_end(self) -> float:
        return self.upload + self.create + self.queued_to_succeeded


@dataclass
class ConsumerResult:
    consumer: Consumer
    back_to_back: list[Sample] = field(default_factory=list)
    idle: list[Sample] = field(default_factory=list)
    idle_waits: list[float] = field(default_factory=list)
    others_cpu: float = 0.0


# --- the photo ------------------------------------------------------------
def make_photo_jpeg(seed: int = 12) -> bytes:
    """A photo-like 4000×3000 JPEG (quality 90): gradients, shapes with edges, grain and noise."""
    pixels = photo_pixels(seed)
    exif = Image.Exif()
    exif[0x010F] = "Darkroom Bench"  # Make
    exif[0x0110] = "Synthetic 12MP"  # Model
    exif[0x0112] = 1  # Orientation: upright
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


class Uploads:
    """The one generated JPEG, handed out with a numbered JPEG comment each time.

    Same pixels, different bytes: darkroom refuses a file its owner already
    uploaded (by SHA-256), and a real user uploads different photos.
    """

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.count = 0

    def next(self) -> bytes:
        self.count += 1
        comment = f"darkroom bench upload {self.count}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        return self.jpeg[:2] + segment + self.jpeg[2:]


# --- environment ----------------------------------------------------------
def prepare_environment(var_dir: Path) -> dict[str, str]:
    """Point this process (before Django is imported) and the worker at a fresh embedded default."""
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    os.environ["DARKROOM_VAR_DIR"] = str(var_dir)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "darkroom.settings"
    os.environ["DARKROOM_PROFILE"] = "demo"
    # This checkout's darkroom, here and in the worker, whatever else is installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(ROOT))
    return dict(os.environ)


def setup_django() -> User:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    import darkroom

    assert Path(darkroom.__file__).resolve().is_relative_to(ROOT), f"darkroom imported from {darkroom.__file__}"
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3", database["ENGINE"]
    assert settings.HUEY["huey_class"] == "huey.SqliteHuey", settings.HUEY
    assert settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"), settings.STORAGES
    call_command("migrate", verbosity=0, interactive=False)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    assert mode == "wal", mode

    import darkroom.studio.tasks  # registers the job kinds' handlers
    from darkroom.accounts.models import User
    from darkroom.billing import ledger

    user = User.objects.create_user(email="bench@example.com", password=secrets.token_urlsafe(16))
    # Every job costs a credit: enough for every run, bought once as a pack would be.
    ledger.credit(user, 10_000, key="order:bench", reference="order:bench", description="Benchmark credits")
    return user


class Worker:
    """A real `darkroom worker` subprocess (one Huey consumer thread)."""

    def __init__(self, consumer: Consumer, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        command = [sys.executable, "-m", "darkroom.cli", "worker", "--workers", "1", *consumer.options]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited with {self.process.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


# --- one job --------------------------------------------------------------
def upload(user: User, data: bytes) -> Photo:
    from darkroom.photos.actions import do_upload_photo

    return do_upload_photo(user, io.BytesIO(data), len(data))


def wait_for_success(job: Job, worker: Worker, timeout: float = JOB_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Poll the job row every 10 ms until it has succeeded; return the row."""
    from darkroom.studio.models import Job

    rows = Job.objects.filter(pk=job.pk).values(
        "state", "error", "result_id", "created_at", "started_at", "finished_at"
    )
    deadline = time.perf_counter() + timeout
    while True:
        row = rows.get()
        if row["state"] == Job.State.SUCCEEDED:
            return row
        if row["state"] == Job.State.FAILED:
            raise RuntimeError(f"job {job.pk} failed: {row['error']}\nworker log:\n{worker.tail()}")
        if time.perf_counter() > deadline:
            state = row["state"]
            raise TimeoutError(f"job {job.pk} not done after {timeout:.0f} s ({state})\nworker log:\n{worker.tail()}")
        worker.check_alive()
        time.sleep(POLL_SECONDS)


def run_job(user: User, data: bytes, worker: Worker, before_create: Callable[[], None] | None = None) -> Sample:
    """Upload, create an enhance job, wait until its result is stored."""
    from darkroom.studio.actions import do_create_job

    started = time.perf_counter()
    photo = upload(user, data)
    uploaded = time.perf_counter()
    if before_create is not None:
        before_create()
        uploaded = started = time.perf_counter()
    job = do_create_job(user, "enhance", photo)
    queued = time.perf_counter()
    row = wait_for_success(job, worker)
    done = time.perf_counter()
    if row["result_id"] is None:
        raise RuntimeError(f"job {job.pk} succeeded without a result")
    return Sample(
        upload=uploaded - started,
        create=queued - uploaded,
        queued_to_succeeded=done - queued,
        pickup=(row["started_at"] - row["created_at"]).total_seconds(),
        run=(row["finished_at"] - row["started_at"]).total_seconds(),
    )


def measure_consumer(
    consumer: Consumer, user: User, uploads: Uploads, env: dict[str, str], var_dir: Path, args: argparse.Namespace
) -> ConsumerResult:
    result = ConsumerResult(consumer)
    watch = CpuWatch()
    worker = Worker(consumer, env, var_dir / f"worker-{len(consumer.options)}.log")
    try:
        for _ in range(args.warmup):  # the first also waits for the worker to start
            run_job(user, uploads.next(), worker)
        print(f"  {args.runs} back-to-back runs", flush=True)
        for _ in range(args.runs):
            result.back_to_back.append(run_job(user, uploads.next(), worker))
        print(f"  {args.idle_runs} runs after {args.idle_seconds:g}–{args.idle_seconds + 1:g} s idle", flush=True)
        rng = random.Random(len(consumer.options))
        for _ in range(args.idle_runs):
            # Uniform over one second, so the job lands at a random point of
            # the consumer's sleep rather than always at the same phase.
            idle = args.idle_seconds + rng.random()
            last_done = time.perf_counter()

            def wait_out_idle(until: float = last_done + idle) -> None:
                time.sleep(max(0.0, until - time.perf_counter()))

            result.idle.append(run_job(user, uploads.next(), worker, before_create=wait_out_idle))
            result.idle_waits.append(idle)
    finally:
        worker.stop()
    result.others_cpu = watch.others()
    return result


# --- where the time goes, in this process ----------------------------------
@dataclass
class Profiled:
    wall: list[float]  # seconds per repeat, without the profiler
    top: list[tuple[str, int, float]]  # function, calls, self seconds (one profiled repeat)


def _where(file: str, line: int, name: str) -> str:
    if file == "~":
        return name.strip("<>")
    path = Path(file)
    for marker in ("site-packages", "lib"):
        if marker in path.parts:
            index = len(path.parts) - 1 - path.parts[::-1].index(marker)
            return f"{'/'.join(path.parts[index + 1 :])}:{line} {name}"
    try:
        return f"{path.relative_to(ROOT)}:{line} {name}"
    except ValueError:
        return f"{path.name}:{line} {name}"


def profile(step: Callable[[], object], reps: int, top: int) -> Profiled:
    wall = []
    for _ in range(reps):
        begin = time.perf_counter()
        step()
        wall.append(time.perf_counter() - begin)
    profiler = cProfile.Profile()
    profiler.runcall(step)
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    # The bench's own frames only carry the freeing of images its callees returned.
    own = [item for item in entries.items() if Path(item[0][0]).name != Path(__file__).name]
    ranked = sorted(own, key=lambda item: item[1][2], reverse=True)[:top]
    return Profiled(wall, [(_where(*where), calls[1], calls[2]) for where, calls in ranked])


def breakdown(user: User, uploads: Uploads, reps: int, top: int) -> dict[str, Profiled]:
    """Time the upload and the enhance handler in this process, then profile one of each."""
    from darkroom.studio.models import Job
    from darkroom.studio.runner import HANDLERS

    photos: list[Photo] = []

    def one_upload() -> None:
        photos.append(upload(user, uploads.next()))

    def one_job() -> None:
        # A job row that is never enqueued, run by the kind's handler as the worker would.
        job = Job.objects.create(owner=user, kind=Job.Kind.ENHANCE, input=photos[0])
        job = Job.objects.select_related("input", "owner").get(pk=job.pk)
        HANDLERS[job.kind](job, lambda _percent: None)

    return {
        "do_upload_photo": profile(one_upload, reps, top),
        "enhance handler (load, enhance, store result)": profile(one_job, reps, top),
    }


# --- report ---------------------------------------------------------------
def machine() -> list[tuple[str, str]]:
    import django
    import huey

    return [
        *hardware(),
        ("python", platform.python_version()),
        ("numpy / opencv / pillow", f"{np.__version__} / {cv2.__version__} / {PIL.__version__}"),
        ("django / huey / sqlite", f"{django.get_version()} / {huey.__version__} / {sqlite3.sqlite_version}"),
    ]


def stats(values: Sequence[float]) -> str:
    ms = np.asarray(values) * 1000
    p50, p95 = np.percentile(ms, [50, 95])
    return f"{len(ms):>3} | {p50:7.0f} | {p95:7.0f} | {ms.min():7.0f} | {ms.max():7.0f}"


def table(rows: list[tuple[str, Sequence[float]]], width: int = 52) -> str:
    lines = [
        f"| {'phase':<{width}} |   n | p50 ms | p95 ms | min ms | max ms |",
        f"| {'-' * width} | --: | -----: | -----: | -----: | -----: |",
    ]
    lines += [f"| {label:<{width}} | {stats(values)} |" for label, values in rows]
    return "\n".join(lines)


def back_to_back_rows(samples: list[Sample]) -> list[tuple[str, Sequence[float]]]:
    return [
        ("upload → queued", [s.upload_to_queued for s in samples]),
        ("  of which do_upload_photo", [s.upload for s in samples]),
        ("  of which do_create_job (commit + enqueue)", [s.create for s in samples]),
        ("queued → succeeded (seen by 10 ms polling)", [s.queued_to_succeeded for s in samples]),
        ("  idle-to-running (created_at → started_at)", [s.pickup for s in samples]),
        ("  run (started_at → finished_at)", [s.run for s in samples]),
        ("upload → succeeded", [s.end_to_end for s in samples]),
    ]


def poll_interval_after(consumer: Consumer, idle: float) -> float:
    """The consumer's sleep at ``idle`` seconds after its last task (huey.consumer.Worker.sleep)."""
    delay, elapsed = consumer.initial_delay, 0.0
    while True:
        delay = min(delay, consumer.max_delay)
        if elapsed + delay > idle:
            return delay
        elapsed += delay
        delay *= consumer.backoff


def long_idle_pickup(consumer: Consumer, hours: float = 1.0) -> tuple[float, float, float, float]:
    """Pickup wait of a job arriving at a random moment on an otherwise idle service.

    The worker polls with backoff; the periodic sweep, enqueued every minute,
    is picked up at the next poll and resets the backoff. Returns the mean,
    p50, p95 and max wait in seconds, and assumes a poll itself takes no time.
    """
    polls, now, delay, next_sweep = [], 0.0, consumer.initial_delay, SWEEP_PERIOD_SECONDS
    while now < hours * 3600 + 600:
        polls.append(now)
        if now >= next_sweep:
            while next_sweep <= now:
                next_sweep += SWEEP_PERIOD_SECONDS
            delay = consumer.initial_delay
        delay = min(delay, consumer.max_delay)
        now += delay
        delay *= consumer.backoff
    times = np.asarray(polls)
    arrivals = np.arange(300.0, hours * 3600 + 300, 0.001)
    waits = times[np.searchsorted(times, arrivals)] - arrivals
    p50, p95 = np.percentile(waits, [50, 95])
    return float(waits.mean()), float(p50), float(p95), float(waits.max())


def report(
    code: str,
    results: list[ConsumerResult],
    uploads: Uploads,
    stored_bytes: int,
    profiled: dict[str, Profiled],
    profiled_others_cpu: float,
) -> None:
    print("\n## Machine and code\n")
    for key, value in machine():
        print(f"- {key}: {value}")
    print(f"- code: {code}")
    print(f"\n## Photo\n\n- {WIDTH}×{HEIGHT} JPEG, quality 90: {len(uploads.jpeg) / 1e6:.2f} MB uploaded")
    print(f"- stored original after darkroom's re-encode: {stored_bytes / 1e6:.2f} MB")
    for result in results:
        print(f"\n## Back to back, consumer {result.consumer.name}\n")
        print(f"(other processes used {result.others_cpu:.0%} of the machine's CPU during this worker's runs)\n")
        print(table(back_to_back_rows(result.back_to_back)))
    print("\n## Idle-to-running (created_at → started_at) after the queue was empty\n")
    rows: list[tuple[str, Sequence[float]]] = []
    for result in results:
        low, high = min(result.idle_waits), max(result.idle_waits)
        rows.append((f"{result.consumer.name}, idle {low:.1f}–{high:.1f} s", [s.pickup for s in result.idle]))
    print(table(rows, width=60))

    consumers = [result.consumer for result in results]
    if all(c.max_delay != HUEY_STOCK.max_delay for c in consumers):
        consumers.append(HUEY_STOCK)
    idles = (1, 5, 10, 30, 60)
    print("\n## Computed from Huey's backoff: poll interval after N s without a task\n")
    print("| consumer | " + " | ".join(f"{i} s" for i in idles) + " |")
    print("| --- | " + " | ".join("--:" for _ in idles) + " |")
    for consumer in consumers:
        print(f"| {consumer.name} | " + " | ".join(f"{poll_interval_after(consumer, i):.2f}" for i in idles) + " |")
    print(
        "\n## Computed: pickup wait of a job arriving at a random moment on a long-idle service\n"
        "\n(the minute's job sweep resets the backoff; a job waits for the end of the current poll interval)\n"
    )
    print("| consumer | mean s | p50 s | p95 s | max s |\n| --- | --: | --: | --: | --: |")
    for consumer in consumers:
        mean, p50, p95, worst = long_idle_pickup(consumer)
        print(f"| {consumer.name} | {mean:.2f} | {p50:.2f} | {p95:.2f} | {worst:.2f} |")

    print("\n## Where the time goes: in this process, no worker running\n")
    print(f"(other processes used {profiled_others_cpu:.0%} of the machine's CPU meanwhile)\n")
    for label, entry in profiled.items():
        ms = np.asarray(entry.wall) * 1000
        print(f"{label}: median {np.median(ms):.0f} ms over {len(ms)} (min {ms.min():.0f}, max {ms.max():.0f})\n")
        print(f"| {'self time of one profiled call, top functions':<70} | calls | self ms |")
        print(f"| {'-' * 70} | ----: | ------: |")
        for where, calls, seconds in entry.top:
            print(f"| {where[:70]:<70} | {calls:>5} | {seconds * 1000:7.1f} |")
        print()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="back-to-back runs per consumer (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted runs per consumer (default 2)")
    parser.add_argument("--idle-runs", type=int, default=10, help="runs after an idle queue, per consumer (10)")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="queue empty for this + 0–1 s (5)")
    parser.add_argument("--repeats", type=int, default=5, help="in-process repeats for the breakdown (5)")
    parser.add_argument("--top", type=int, default=8, help="functions listed per profiled step (8)")
    args = parser.parse_args(argv)
    if min(args.runs, args.warmup, args.idle_runs, args.repeats, args.top) < 1:
        parser.error("--runs, --warmup, --idle-runs, --repeats and --top must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    var_dir = Path(tempfile.mkdtemp(prefix="darkroom-bench-"))
    try:
        env = prepare_environment(var_dir)
        print(f"Throw-away embedded default in {var_dir}", flush=True)
        code, files = code_state(), code_files()
        print("Generating the 12 MP JPEG…", flush=True)
        uploads = Uploads(make_photo_jpeg())
        user = setup_django()
        results = []
        for consumer in (shipped_consumer(), FAST):
            print(f"Worker, consumer {consumer.name}:", flush=True)
            results.append(measure_consumer(consumer, user, uploads, env, var_dir, args))
        from darkroom.photos.models import Photo

        stored = Photo.objects.filter(kind=Photo.Kind.UPLOAD).values_list("byte_size", flat=True).first() or 0
        print("Profiling an upload and a job in this process…", flush=True)
        watch = CpuWatch()
        profiled = breakdown(user, uploads, args.repeats, args.top)
        profiled_others_cpu = watch.others()
        report(code, results, uploads, stored, profiled, profiled_others_cpu)
        busiest = max([profiled_others_cpu, *(result.others_cpu for result in results)])
        if busiest > BUSY_MACHINE:
            print(
                f"\nWARNING: other processes used up to {busiest:.0%} of the CPU during a phase;"
                " the figures are slower and noisier than on a quiet machine."
            )
        now = code_files()
        changed = sorted(name for name in files.keys() | now.keys() if files.get(name) != now.get(name))
        if changed:
            print(f"\nWARNING: these files changed while the bench ran: {', '.join(changed)}.")
        print(f"\nTotal bench time: {time.perf_counter() - began:.0f} s")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
