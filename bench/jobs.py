"""Jobs benchmark: what darkroom's job machinery costs on top of a bare Huey task, and jobs/s by workers.

    python bench/jobs.py [--runs 50] [--batch 100] [--workers 1,2,4] [--backends sqlite,redis] [--quick]

Each queue backend runs in a child process of its own (Django's settings, and
Huey's instance with them, are read once per process): Huey on SQLite, the
embedded default, and Huey on Redis (``REDIS_URL``, ``--redis-url``). Each
child builds a throw-away embedded default (SQLite database in WAL mode, local
private storage) in a temporary folder, uploads one 320×240 photo and starts
real ``darkroom worker`` processes with ``DJANGO_SETTINGS_MODULE`` set to
``jobs_probe.settings``: darkroom's settings plus bench/jobs_probe, which holds
the bare no-op task and appends worker-side timestamps to a file.

1. Latency, one worker with one thread (the consumer polling as shipped):
   ``--runs`` enhance jobs of the 320×240 photo (the cheapest real job),
   interleaved with as many no-op tasks. Before each submission the bench
   waits a random 0–250 ms, so that work lands at a random point of the
   consumer's poll sleep, the same for both. A job is timed from its row's
   ``created_at`` to its claim having made it running (dispatch) and from its
   handler returning to this process seeing ``succeeded`` (completion, polled
   every ``--poll-ms``); the handler's own time is taken out. The no-op is timed
   from its enqueue to its body running, and to this process seeing it ran
   (the same polling). The worker-side timestamps split each path into the
   queue's part and the machinery's part (claim, lease, heartbeat thread,
   success update).
2. Throughput: for 1, 2 and 4 Huey threads in one worker process, and for 2
   and 4 worker processes of one thread each, a batch of ``--batch`` such jobs
   created in one transaction (so they are enqueued together on commit):
   jobs/s from the first enqueue to the last ``finished_at``. Then 5 × batch
   no-op tasks through the same workers: Huey's own ceiling. Each worker
   configuration first runs warm-up jobs until every process has run one, so
   loading the engine's models is not in the figures.

As the other benchmarks do, it reports how much CPU other processes used
during each phase (the workers and, on Redis, redis-server count as its own)
and warns if darkroom's code changed during the run. Nothing outside the
temporary folders and this run's own Redis keys is touched.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import platform
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import cv2
import numpy as np
import psutil
from harness import CpuWatch as SystemCpuWatch  # bench/harness.py
from harness import code_files, code_state, hardware, photo_pixels
from PIL import Image

if TYPE_CHECKING:
    from darkroom.accounts.models import User
    from darkroom.photos.models import Photo

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SETTINGS = "jobs_probe.settings"  # bench/jobs_probe/settings.py
PROBE_VARIABLE = "BENCH_JOBS_PROBE"  # read by bench/jobs_probe/tasks.py in the worker
PHOTO_SIZE = (320, 240)
BACKENDS = ("sqlite", "redis")
JOB_TIMEOUT_SECONDS = 120.0  # the first one also waits for the worker to start
WORKER_STOP_SECONDS = 45.0
SPREAD_SECONDS = 0.25  # random wait before each latency submission
NOOPS_PER_JOB = 5  # no-op batch = this × --batch
BUSY_MACHINE = 0.05  # other processes' CPU share above which the figures are flagged
# Infrastructure variables that would take the run off the embedded default.
FOREIGN_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "AWS_S3_ENDPOINT_URL",
    "DARKROOM_QUEUE_NAME",
    "DARKROOM_CACHE_PREFIX",
    "DARKROOM_WORKERS",
    "DARKROOM_ENGINE_THREADS",
    "DARKROOM_JOB_LEASE_SECONDS",
    "DARKROOM_JOB_MAX_ATTEMPTS",
    "REPLICATE_API_TOKEN",
    "SECRET_KEY",
    "DEBUG",
    PROBE_VARIABLE,
)


class CpuWatch(SystemCpuWatch):
    """How much CPU other processes used while a phase ran; the workers (still running) count as this bench's."""

    def __init__(self, pids: Sequence[int] = ()) -> None:
        self.processes = [psutil.Process(pid) for pid in (os.getpid(), *pids)]
        super().__init__()

    def _own(self) -> float:  # type: ignore[override]  # the base's is static: this process and its reaped children
        total = 0.0
        for process in self.processes:
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
        return total


# --- child: environment ---------------------------------------------------
def prepare_environment(var_dir: Path, backend: str, redis_url: str) -> dict[str, str]:
    """Point this process (before Django is imported) and the workers at a fresh embedded default."""
    sys.path.insert(0, str(ROOT))
    from darkroom import paths

    models = str(paths.models_dir())  # the checkout's fetched models, before DARKROOM_VAR_DIR moves
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    run = f"darkroom-bench-jobs-{os.getpid()}-{secrets.token_hex(3)}"
    os.environ.update(
        {
            "DARKROOM_VAR_DIR": str(var_dir),
            "DARKROOM_MODELS_DIR": models,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DARKROOM_PROFILE": "demo",
            # Redis is shared: this run's queue and cache keys carry a name of their own.
            "DARKROOM_QUEUE_NAME": run,
            "DARKROOM_CACHE_PREFIX": run,
            # This checkout's darkroom and the probe app, here and in the workers.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), str(BENCH), os.environ.get("PYTHONPATH")])),
        }
    )
    if backend == "redis":
        os.environ["REDIS_URL"] = redis_url
    return dict(os.environ)


def setup_django(backend: str) -> User:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    import darkroom

    assert Path(darkroom.__file__).resolve().is_relative_to(ROOT), f"darkroom imported from {darkroom.__file__}"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3", settings.DATABASES
    expected = {"sqlite": "huey.SqliteHuey", "redis": "huey.RedisHuey"}[backend]
    huey: dict[str, Any] = settings.HUEY
    assert huey["huey_class"] == expected, huey
    storages: dict[str, Any] = settings.STORAGES
    assert storages["default"]["BACKEND"].endswith("FileSystemStorage"), storages
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    assert mode == "wal", mode

    from darkroom.accounts.models import User
    from darkroom.billing import ledger

    user = User.objects.create_user(email="bench@example.com", password=secrets.token_urlsafe(16))
    # Every job costs a credit: enough for every run, bought once as a pack would be.
    ledger.credit(user, 100_000, key="order:bench", reference="order:bench", description="Benchmark credits")
    return user


def small_photo(user: User) -> Photo:
    """The harness's photo-like scene shrunk to 320×240, uploaded once: the input of every job."""
    from darkroom.photos.actions import do_upload_photo

    pixels = cv2.resize(photo_pixels(), PHOTO_SIZE, interpolation=cv2.INTER_AREA)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return do_upload_photo(user, io.BytesIO(buffer.getvalue()), buffer.tell())


def redis_pids() -> list[int]:
    return [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server"]


def forget_redis_keys() -> None:
    """Delete this run's queue and cache keys (both carry the run's own name)."""
    import redis
    from django.conf import settings

    assert settings.REDIS_URL, "the Redis child runs with REDIS_URL set"
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in (f"*{settings.QUEUE_NAME}*", f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


# --- child: workers and the probe ----------------------------------------
class Probe:
    """The events the workers append to the probe file (bench/jobs_probe/tasks.py): ``event key time pid``."""

    def __init__(self, path: Path, poll: float) -> None:
        self.path = path
        path.touch()
        self.poll = poll
        self._fd = os.open(path, os.O_RDONLY)
        self._partial = b""
        self.events: dict[tuple[str, str], tuple[float, int]] = {}

    def read(self) -> None:
        while chunk := os.read(self._fd, 1 << 20):
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            for line in lines:
                event, key, at, pid = line.decode().split()
                self.events[(event, key)] = (float(at), int(pid))

    def at(self, event: str, key: object) -> float:
        return self.events[(event, str(key))][0]

    def wait(self, event: str, key: object, workers: Workers, timeout: float = JOB_TIMEOUT_SECONDS) -> float:
        """Read the file every poll interval until ``event key`` is there; its worker-side time."""
        deadline = time.perf_counter() + timeout
        while True:
            self.read()
            if (event, str(key)) in self.events:
                return self.at(event, key)
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no {event} {key} after {timeout:.0f} s\nworker log:\n{workers.tail()}")
            workers.check_alive()
            time.sleep(self.poll)

    def close(self) -> None:
        os.close(self._fd)


class Workers:
    """``processes`` real ``darkroom worker`` subprocesses, each a Huey consumer with ``threads`` threads."""

    def __init__(self, env: dict[str, str], var_dir: Path, processes: int, threads: int, probe: Path) -> None:
        # DARKROOM_WORKERS rather than -w: the engine sizes its thread share from the setting (studio/engine.py).
        env = {**env, "DARKROOM_WORKERS": str(threads), PROBE_VARIABLE: str(probe)}
        command = [sys.executable, "-m", "darkroom.cli", "worker"]
        self.logs: list[tuple[Path, IO[bytes]]] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        for index in range(processes):
            path = var_dir / f"worker-{processes}x{threads}-{index}.log"
            log = path.open("wb")
            self.logs.append((path, log))
            self.processes.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def tail(self, chars: int = 3000) -> str:
        return "\n".join(f"[{path.name}]\n{path.read_text(errors='replace')[-chars:]}" for path, _ in self.logs)

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"a worker exited with {process.returncode}:\n{self.tail()}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for _, log in self.logs:
            log.close()


# --- child: latency ---------------------------------------------------------
def wait_final(job_id: int, workers: Workers, poll: float, timeout: float = JOB_TIMEOUT_SECONDS) -> dict[str, Any]:
    """Poll the job's state every ``poll`` seconds until it is final; return the row."""
    from darkroom.studio.models import Job

    state = Job.objects.filter(pk=job_id).values_list("state", flat=True)
    deadline = time.perf_counter() + timeout
    while state.get() not in Job.FINAL_STATES:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"job {job_id} not done after {timeout:.0f} s\nworker log:\n{workers.tail()}")
        workers.check_alive()
        time.sleep(poll)
    row = dict(
        Job.objects.filter(pk=job_id)
        .values("state", "error", "result_id", "created_at", "enqueued_at", "finished_at")
        .get()
    )
    if row["state"] != Job.State.SUCCEEDED or row["result_id"] is None:
        raise RuntimeError(f"job {job_id} ended {row['state']}: {row['error']}\nworker log:\n{workers.tail()}")
    return row


def run_noop(probe: Probe, workers: Workers, token: str) -> dict[str, float]:
    """Enqueue one no-op task and wait (polling the probe file) until its body has run."""
    from jobs_probe.tasks import noop

    began = time.time()
    noop(token)
    enqueued = time.time()
    ran = probe.wait("noop", token, workers)
    seen = time.time()
    probe.wait("complete", token, workers)
    return {
        "noop.enqueue": enqueued - began,
        "noop.to_executing": probe.at("executing", token) - began,
        "noop.dispatch": ran - began,
        "noop.round_trip": seen - began,
    }


def run_job(user: User, photo: Photo, probe: Probe, workers: Workers) -> dict[str, float]:
    """Create one enhance job and wait (polling its row) until it has succeeded; its phases in seconds."""
    from darkroom.studio.actions import do_create_job

    began = time.time()
    job = do_create_job(user, "enhance", photo)
    returned = time.time()
    row = wait_final(job.pk, workers, probe.poll)
    seen = time.time()
    probe.wait("complete", job.pk, workers)  # the worker is back at its queue before the next submission
    created, enqueued, finished = (row[name].timestamp() for name in ("created_at", "enqueued_at", "finished_at"))
    executing, claim_start, claimed, handler_start, handler_end, committed = (
        probe.at(event, job.pk)
        for event in ("executing", "claim-start", "claimed", "handler-start", "handler-end", "finished")
    )
    progress = probe.at("progress-seconds", job.pk)
    handler = handler_end - handler_start - progress
    return {
        "job.create_call": returned - began,
        "job.dispatch": claimed - created,
        "job.to_enqueued": enqueued - created,
        "job.enqueued_to_executing": executing - enqueued,
        "job.executing_to_claim": claim_start - executing,
        "job.claim": claimed - claim_start,
        "job.claimed_to_handler": handler_start - claimed,
        "job.handler": handler,
        "job.progress": progress,
        "job.completion": seen - handler_end,
        "job.handler_to_finished_at": finished - handler_end,
        "job.finished_at_to_committed": committed - finished,
        "job.committed_to_seen": seen - committed,
        "job.overhead": seen - created - handler,
        "job.machinery": (handler_start - executing) + progress + (committed - handler_end),
    }


def measure_latency(user: User, photo: Photo, env: dict[str, str], var_dir: Path, args: argparse.Namespace) -> Any:
    probe = Probe(var_dir / "probe-latency.log", args.poll_ms / 1000)
    workers = Workers(env, var_dir, 1, 1, probe.path)
    samples: dict[str, list[float]] = defaultdict(list)
    try:
        print(f"  warm-up: {args.warmup} no-op(s) and job(s); the first waits for the worker to start", flush=True)
        for index in range(args.warmup):
            run_noop(probe, workers, f"warm-{index}")
            run_job(user, photo, probe, workers)
        print(f"  {args.runs} jobs interleaved with {args.runs} no-ops", flush=True)
        watch = CpuWatch([*workers.pids, *(redis_pids() if args.child == "redis" else [])])
        rng = random.Random(7)
        for index in range(args.runs):
            steps: list[Callable[[], dict[str, float]]] = [
                functools.partial(run_noop, probe, workers, f"run-{index}"),
                functools.partial(run_job, user, photo, probe, workers),
            ]
            for step in steps if index % 2 == 0 else steps[::-1]:
                time.sleep(rng.uniform(0, SPREAD_SECONDS))
                for name, seconds in step().items():
                    samples[name].append(seconds)
        others = watch.others()
    finally:
        workers.stop()
        probe.close()
    return {"samples": samples, "others_cpu": others}


# --- child: throughput ------------------------------------------------------
@dataclass
class Throughput:
    processes: int
    threads: int
    jobs: int
    job_seconds: float
    handler_p50: float
    processes_used: int
    noops: int
    noop_seconds: float
    enqueue_seconds: float
    others_cpu: float


def run_batch(user: User, photo: Photo, workers: Workers, count: int, poll: float) -> list[int]:
    """Create ``count`` jobs in one transaction (enqueued together on commit); wait until all have succeeded."""
    from django.db import transaction

    from darkroom.studio.actions import do_create_job
    from darkroom.studio.models import Job

    with transaction.atomic():
        ids = [do_create_job(user, "enhance", photo).pk for _ in range(count)]
    jobs = Job.objects.filter(pk__in=ids)
    deadline = time.perf_counter() + JOB_TIMEOUT_SECONDS + count
    while jobs.exclude(state__in=Job.FINAL_STATES).exists():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"a batch of {count} jobs was not done in time\nworker log:\n{workers.tail()}")
        workers.check_alive()
        time.sleep(poll)
    states = Counter(jobs.values_list("state", flat=True))
    if set(states) != {Job.State.SUCCEEDED}:
        errors = set(jobs.exclude(state=Job.State.SUCCEEDED).values_list("error", flat=True))
        raise RuntimeError(f"batch ended {dict(states)}: {errors}\nworker log:\n{workers.tail()}")
    return ids


def measure_throughput(
    user: User, photo: Photo, env: dict[str, str], var_dir: Path, processes: int, threads: int, args: argparse.Namespace
) -> Throughput:
    from django.db.models import Max, Min
    from jobs_probe.tasks import noop

    from darkroom.studio.models import Job

    poll = 0.01
    probe = Probe(var_dir / f"probe-{processes}x{threads}.log", poll)
    workers = Workers(env, var_dir, processes, threads, probe.path)
    try:
        # Until every process has run a job: each loads the engine's models on its first.
        for _ in range(10):
            ids = run_batch(user, photo, workers, 2 * processes * threads, poll)
            probe.read()
            if {probe.events[("handler-end", str(pk))][1] for pk in ids} >= set(workers.pids):
                break
        watch = CpuWatch([*workers.pids, *(redis_pids() if args.child == "redis" else [])])
        ids = run_batch(user, photo, workers, args.batch, poll)
        window = Job.objects.filter(pk__in=ids).aggregate(first=Min("enqueued_at"), last=Max("finished_at"))
        probe.read()
        handlers = [probe.at("handler-end", pk) - probe.at("handler-start", pk) for pk in ids]
        used = {probe.events[("handler-end", str(pk))][1] for pk in ids}

        tokens = [f"batch-{index}" for index in range(NOOPS_PER_JOB * args.batch)]
        began = time.time()
        for token in tokens:
            noop(token)
        enqueued = time.time()
        for token in tokens:
            probe.wait("noop", token, workers)
        last_noop = max(probe.at("noop", token) for token in tokens)
        others = watch.others()
    finally:
        workers.stop()
        probe.close()
    return Throughput(
        processes=processes,
        threads=threads,
        jobs=len(ids),
        job_seconds=(window["last"] - window["first"]).total_seconds(),
        handler_p50=float(np.median(handlers)),
        processes_used=len(used),
        noops=len(tokens),
        noop_seconds=last_noop - began,
        enqueue_seconds=enqueued - began,
        others_cpu=others,
    )


def worker_configurations(counts: Sequence[int]) -> list[tuple[int, int]]:
    """(processes, threads): N threads in one process, then N processes of one thread (1×1 only once)."""
    return [(1, n) for n in counts] + [(n, 1) for n in counts if n > 1]


def child(args: argparse.Namespace) -> int:
    """One backend: latency, then throughput; the figures go to ``args.out`` as JSON."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"darkroom-bench-jobs-{args.child}-"))
    try:
        env = prepare_environment(var_dir, args.child, args.redis_url)
        print(f"[{args.child}] throw-away embedded default in {var_dir}", flush=True)
        user = setup_django(args.child)
        from django.conf import settings

        try:
            photo = small_photo(user)
            print(f"[{args.child}] latency, 1 worker × 1 thread:", flush=True)
            latency = measure_latency(user, photo, env, var_dir, args)
            throughput = []
            for processes, threads in worker_configurations(args.workers):
                print(f"[{args.child}] throughput, {processes} worker(s) × {threads} thread(s)…", flush=True)
                throughput.append(asdict(measure_throughput(user, photo, env, var_dir, processes, threads, args)))
        finally:
            if args.child == "redis":
                forget_redis_keys()
        huey: dict[str, Any] = settings.HUEY
        consumer = huey["consumer"]
        result = {
            "backend": args.child,
            "huey_class": huey["huey_class"],
            "consumer": {key: consumer[key] for key in ("initial_delay", "backoff", "max_delay")},
            "photo_bytes": photo.byte_size,
            "latency": latency,
            "throughput": throughput,
        }
        Path(args.out).write_text(json.dumps(result), encoding="utf-8")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


# --- parent: report -----------------------------------------------------------
def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def machine(load_at_start: str, redis_url: str, backends: Sequence[str]) -> list[tuple[str, str]]:
    import django
    import huey

    rows = [
        *hardware(),
        ("load average (1, 5, 15 min)", f"{load_at_start} at the start, {load_average()} at the end"),
        ("python", platform.python_version()),
        ("django / huey / sqlite", f"{django.get_version()} / {huey.__version__} / {sqlite3.sqlite_version}"),
    ]
    if "redis" in backends:
        import redis

        server = redis.Redis.from_url(redis_url).info("server")["redis_version"]
        rows.append(("redis server / redis-py", f"{server} at {redis_url} / {redis.__version__}"))
    return rows


def stats(values: Sequence[float]) -> str:
    ms = np.asarray(values) * 1000
    p50, p95 = np.percentile(ms, [50, 95])
    return f"{len(ms):>3} | {p50:7.1f} | {p95:7.1f} | {ms.min():7.1f} | {ms.max():7.1f}"


def table(rows: list[tuple[str, Sequence[float]]]) -> str:
    width = max(len(label) for label, _ in rows)
    lines = [
        f"| {'phase':<{width}} |   n |  p50 ms |  p95 ms |  min ms |  max ms |",
        f"| {'-' * width} | --: | ------: | ------: | ------: | ------: |",
    ]
    lines += [f"| {label:<{width}} | {stats(values)} |" for label, values in rows]
    return "\n".join(lines)


LATENCY_ROWS = (
    ("**bare Huey no-op: enqueue → its body ran**", "noop.dispatch"),
    ("  enqueue call, in this process", "noop.enqueue"),
    ("  enqueue → Huey starts the task (executing signal)", "noop.to_executing"),
    ("  enqueue → this process sees it ran (round trip)", "noop.round_trip"),
    ("**job: created_at → claimed (the row is running): dispatch**", "job.dispatch"),
    ("  created_at → enqueued_at (debit, commit)", "job.to_enqueued"),
    ("  enqueued_at → Huey starts run_job (an UPDATE, the enqueue, pickup)", "job.enqueued_to_executing"),
    ("  Huey starts run_job → the claim starts", "job.executing_to_claim"),
    ("  the claim (a new DB connection, the conditional UPDATE)", "job.claim"),
    ("claimed → handler starts (the job row read, heartbeat thread started)", "job.claimed_to_handler"),
    ("handler: enhance of the 320×240 photo, less its progress reports", "job.handler"),
    ("  its progress reports (each renews the lease: an UPDATE)", "job.progress"),
    ("**job: handler returned → this process sees succeeded: completion**", "job.completion"),
    ("  handler returned → finished_at (heartbeat stopped, write transaction begun)", "job.handler_to_finished_at"),
    ("  finished_at → committed (do_succeed's UPDATEs; job_finished sent)", "job.finished_at_to_committed"),
    ("  committed → this process sees it (polling)", "job.committed_to_seen"),
    ("**job: created_at → seen succeeded, minus the handler**", "job.overhead"),
    ("job machinery in the worker (run_job → handler, progress, handler → committed)", "job.machinery"),
    ("do_create_job call (checks, row + debit, commit, enqueue)", "job.create_call"),
)


def p50(values: Sequence[float]) -> float:
    return float(np.percentile(np.asarray(values) * 1000, 50))


def p95(values: Sequence[float]) -> float:
    return float(np.percentile(np.asarray(values) * 1000, 95))


def report(results: list[dict[str, Any]], args: argparse.Namespace, load_at_start: str, code: str) -> None:
    print("\n## Jobs (bench/jobs.py)\n\n### Machine and code\n")
    for key, value in machine(load_at_start, args.redis_url, [r["backend"] for r in results]):
        print(f"- {key}: {value}")
    print(f"- code: {code}")
    others = ", ".join(f"{r['backend']} latency {r['latency']['others_cpu']:.0%}" for r in results)
    print(f"- other processes' share of the machine's CPU: {others}")
    for result in results:
        consumer = result["consumer"]
        print(
            f"\n### Latency on {result['huey_class']} ({args.runs} runs after {args.warmup} warm-up)\n\n"
            f"One `darkroom worker`, 1 thread; consumer polling as shipped (-d {consumer['initial_delay']:g} "
            f"-b {consumer['backoff']:g} -m {consumer['max_delay']:g}"
            f"{'; Redis dequeues block instead' if result['backend'] == 'redis' else ''}); this process polls "
            f"every {args.poll_ms:g} ms; the photo is {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]}, "
            f"{result['photo_bytes'] / 1000:.0f} kB stored.\n"
        )
        samples = result["latency"]["samples"]
        print(table([(label, samples[key]) for label, key in LATENCY_ROWS]))

    print("\n### Overhead of the job machinery over a bare Huey task\n")
    print("| backend | job dispatch p50 / p95 | no-op dispatch p50 / p95 | difference of p50s "
          "| job completion p50 / p95 | job overhead p50 / p95 | no-op round trip p50 / p95 "
          "| difference of p50s | machinery in the worker p50 / p95 |")  # fmt: skip
    print("| --- | --: | --: | --: | --: | --: | --: | --: | --: |")
    for result in results:
        s = result["latency"]["samples"]

        def pair(key: str, s: dict[str, list[float]] = s) -> str:
            return f"{p50(s[key]):.1f} / {p95(s[key]):.1f}"

        print(
            f"| {result['backend']} | {pair('job.dispatch')} | {pair('noop.dispatch')} "
            f"| {p50(s['job.dispatch']) - p50(s['noop.dispatch']):+.1f} | {pair('job.completion')} "
            f"| {pair('job.overhead')} | {pair('noop.round_trip')} "
            f"| {p50(s['job.overhead']) - p50(s['noop.round_trip']):+.1f} | {pair('job.machinery')} |"
        )
    print("\n(all in ms)")

    print(f"\n### Throughput: a batch of {args.batch} enhance jobs of the 320×240 photo, then "
          f"{NOOPS_PER_JOB * args.batch} no-op tasks\n")  # fmt: skip
    print(
        "jobs/s: from the first job's enqueue to the last `finished_at`. no-op/s: from the first enqueue to the last\n"
        "body run; the no-ops are enqueued one by one from this process, so when *enqueue/s* is close to *no-op/s*\n"
        "the producer, not the consumer, set the pace.\n"
    )
    print("| backend | worker processes × threads | jobs | s | jobs/s | handler p50 ms | no-ops | no-op/s "
          "| enqueue/s | other CPU |")  # fmt: skip
    print("| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |")
    for result in results:
        for row in result["throughput"]:
            used = "" if row["processes_used"] == row["processes"] else f" ({row['processes_used']} ran jobs)"
            print(
                f"| {result['backend']} | {row['processes']} × {row['threads']}{used} | {row['jobs']} "
                f"| {row['job_seconds']:.2f} | {row['jobs'] / row['job_seconds']:.1f} "
                f"| {row['handler_p50'] * 1000:.0f} "
                f"| {row['noops']} | {row['noops'] / row['noop_seconds']:.0f} "
                f"| {row['noops'] / row['enqueue_seconds']:.0f} | {row['others_cpu']:.0%} |"
            )


# --- parent -----------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, help="timed jobs and as many no-ops, per backend (default 50)")
    parser.add_argument("--warmup", type=int, help="uncounted job + no-op pairs first (default 3)")
    parser.add_argument("--batch", type=int, help="jobs per throughput batch (default 100)")
    parser.add_argument("--workers", help="worker counts for throughput, comma-separated (default 1,2,4)")
    parser.add_argument("--backends", default="sqlite,redis", help="sqlite, redis or both (default both)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--poll-ms", type=float, default=2.0, help="how often this process looks (default 2 ms)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 8 runs, batch 12, workers 1,2")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick, full = {"runs": 8, "warmup": 1, "batch": 12, "workers": "1,2"}, {
        "runs": 50, "warmup": 3, "batch": 100, "workers": "1,2,4",
    }  # fmt: skip
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    try:
        args.workers = sorted({int(n) for n in str(args.workers).split(",")})
    except ValueError:
        parser.error(f"--workers takes whole numbers separated by commas (got {args.workers!r})")
    args.backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if unknown := set(args.backends) - set(BACKENDS):
        parser.error(f"--backends takes sqlite and/or redis (got {', '.join(sorted(unknown))})")
    if min(args.runs, args.warmup, args.batch, *args.workers) < 1 or args.poll_ms <= 0:
        parser.error("--runs, --warmup, --batch and --workers must be at least 1, and --poll-ms above 0")
    return args


def forwarded(args: argparse.Namespace) -> list[str]:
    """The options a child needs, spelled out (the parent has already resolved --quick)."""
    return [
        f"--runs={args.runs}",
        f"--warmup={args.warmup}",
        f"--batch={args.batch}",
        f"--workers={','.join(map(str, args.workers))}",
        f"--redis-url={args.redis_url}",
        f"--poll-ms={args.poll_ms}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args)
    began = time.perf_counter()
    load_at_start = load_average()
    if "redis" in args.backends:
        import redis

        try:
            redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            sys.exit(
                f"bench/jobs.py: cannot reach Redis at {args.redis_url} ({exc}). Start it, or pass --backends sqlite."
            )
    code, files = code_state(), code_files()
    results = []
    with tempfile.TemporaryDirectory(prefix="darkroom-bench-jobs-") as folder:
        for backend in args.backends:
            out = Path(folder) / f"{backend}.json"
            command = [sys.executable, __file__, f"--child={backend}", f"--out={out}", *forwarded(args)]
            subprocess.run(command, check=True, cwd=ROOT)
            results.append(json.loads(out.read_text(encoding="utf-8")))
    report(results, args, load_at_start, code)
    busiest = max(
        [r["latency"]["others_cpu"] for r in results] + [t["others_cpu"] for r in results for t in r["throughput"]]
    )
    if busiest > BUSY_MACHINE:
        print(
            f"\nWARNING: other processes used up to {busiest:.0%} of the CPU during a phase;"
            " the figures are slower and noisier than on a quiet machine."
        )
    now = code_files()
    changed = sorted(name for name in files.keys() | now.keys() if files.get(name) != now.get(name))
    if changed:
        print(f"\nWARNING: these files changed while the bench ran: {', '.join(changed)}.")
    print(f"\nCommand: python bench/jobs.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print(f"Total bench time: {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
