"""Retention benchmark: the sweep over 100 000 expired uploads and 100 000 expired usage events.

Runs on the embedded default (SQLite in WAL mode, local private storage) in a
throw-away folder:

    python bench/retention.py [--photos 100000] [--events 100000] [--small 10000] [--batch-size 500]

The rows are made fast: ``bulk_create`` for the rows, files written straight
into the storage folder (three small objects per photo, as an upload leaves:
original, preview, thumbnail), and each upload's last generation put 31 days
back so that the selfie rule (30 days) deletes it. Each set is swept twice
over, at ``--small`` and at the full size, so the peak memory of both can be
compared: bounded memory means the same peak for ten times the rows. For each
sweep it reports the wall time, rows a second, and the process's peak RSS above
what it was just before (psutil, sampled every 10 ms in a thread); with
``--tracemalloc`` also Python's own peak allocation (slower: it traces every
allocation). A dry run over the full set is timed too. Nothing outside the
temporary folder is touched.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import secrets
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from harness import CpuWatch, code_files, code_state, hardware  # bench/harness.py

ROOT = Path(__file__).resolve().parent.parent
FOREIGN_VARIABLES = ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "SECRET_KEY")
BUSY_MACHINE = 0.05
SMALL_OBJECT = b"\xff\xd8" + b"\x00" * 62  # 64 bytes: the count of objects matters here, not their size


def prepare_environment(var_dir: Path) -> None:
    """Point this process (before Django is imported) at a fresh embedded default with the demo profile."""
    for name in FOREIGN_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(f"{name}_FILE", None)
    os.environ["DARKROOM_VAR_DIR"] = str(var_dir)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "darkroom.settings"
    os.environ["DARKROOM_PROFILE"] = "demo"  # uploads 30 days after generation, usage events 90 days
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))


def setup_django() -> Any:
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    import darkroom

    assert Path(darkroom.__file__).resolve().is_relative_to(ROOT), f"darkroom imported from {darkroom.__file__}"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"), settings.STORAGES
    call_command("migrate", verbosity=0, interactive=False)
    from darkroom.accounts.models import User

    return User.objects.create_user(email="bench@example.com", password=secrets.token_urlsafe(16))


# --- making expired rows fast ------------------------------------------------
def make_expired_photos(owner: Any, count: int) -> int:
    """``count`` uploads last used 31 days ago, with their three objects in the storage folder."""
    from django.core.files.storage import storages
    from django.utils import timezone

    from darkroom.photos import storage
    from darkroom.photos.models import Photo

    folder = Path(storages["default"].location)  # type: ignore[attr-defined]
    used = timezone.now() - datetime.timedelta(days=31)
    made = 0
    while made < count:
        rows = []
        for _ in range(min(2000, count - made)):
            keys = storage.new_key("jpg"), storage.new_key("webp"), storage.new_key("webp")
            for key in keys:
                path = folder / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(SMALL_OBJECT)
            rows.append(
                Photo(
                    owner=owner, kind=Photo.Kind.UPLOAD, file_key=keys[0], preview_key=keys[1], thumb_key=keys[2],
                    content_type="image/jpeg", source_format="JPEG", width=64, height=48, byte_size=64,
                    sha256=secrets.token_hex(32), last_generation_at=used,
                )
            )  # fmt: skip
        Photo.objects.bulk_create(rows)
        made += len(rows)
    return made


def make_expired_events(owner: Any, count: int) -> int:
    """``count`` usage events from 91 days ago (``created_at`` is auto_now_add: set after the insert)."""
    from django.utils import timezone

    from darkroom.privacy.models import UsageEvent

    old = timezone.now() - datetime.timedelta(days=91)
    first = (UsageEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    for start in range(0, count, 5000):
        UsageEvent.objects.bulk_create(
            UsageEvent(owner=owner, feature="upload", device_type="phone", browser_family="Mobile Safari")
            for _ in range(min(5000, count - start))
        )
    UsageEvent.objects.filter(id__gte=first).update(created_at=old)
    return count


def stored_count() -> int:
    from django.conf import settings

    return sum(len(files) for _root, _dirs, files in os.walk(settings.MEDIA_ROOT))


# --- measuring ---------------------------------------------------------------
class RssPeak:
    """The process's peak resident memory while a block runs, sampled in a thread."""

    def __init__(self, every: float = 0.01) -> None:
        self.process = psutil.Process()
        self.every = every
        self.peak = self.before = 0
        self._stop = threading.Event()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.every)

    def __enter__(self) -> RssPeak:
        self.before = self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


@dataclass
class Measure:
    name: str
    rows: int
    removed: int
    seconds: float
    rss_before: int
    rss_peak_above: int
    python_peak: int | None
    others_cpu: float


def measure(name: str, rows: int, run: Callable[[], int], *, trace: bool) -> Measure:
    import gc

    gc.collect()
    watch = CpuWatch()
    if trace:
        tracemalloc.start()
    with RssPeak() as rss:
        began = time.perf_counter()
        removed = run()
        seconds = time.perf_counter() - began
    python_peak = None
    if trace:
        python_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result = Measure(name, rows, removed, seconds, rss.before, rss.peak - rss.before, python_peak, watch.others())
    print(f"  {name}: {removed} removed in {seconds:.1f} s, peak RSS +{result.rss_peak_above / 2**20:.1f} MiB")
    return result


def swept(what: str, batch_size: int, *, dry_run: bool = False) -> Callable[[], int]:
    from darkroom.privacy.retention import sweep

    def run() -> int:
        return sum(t.count for t in sweep(dry_run=dry_run, batch_size=batch_size) if t.what.startswith(what))

    return run


def report(code: str, results: list[Measure], batch_size: int, trace: bool) -> None:
    import sqlite3

    import django

    load1, load5, load15 = os.getloadavg()
    print("\n## Results\n")
    print(f"**Code:** {code}")
    print("\n**Machine:**\n")
    for label, value in hardware():
        print(f"- {label}: {value}")
    print(f"- Python {platform.python_version()}, Django {django.get_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"- load average at the end: {load1:.2f} {load5:.2f} {load15:.2f} (1, 5, 15 min)")
    print(f"\nBatch size {batch_size} rows per chunk and transaction.\n")
    header = "| sweep | rows | removed | time s | rows/s | RSS at start | peak RSS above start | "
    header += "Python peak | " if trace else ""
    header += "others' CPU |"
    print(header)
    print("| --- | -: | -: | -: | -: | -: | -: |" + (" -: |" if trace else "") + " -: |")
    for m in results:
        rate = m.rows / m.seconds if m.seconds else 0
        traced = f" {m.python_peak / 2**20:.1f} MiB |" if m.python_peak is not None else (" |" if trace else "")
        print(
            f"| {m.name} | {m.rows} | {m.removed} | {m.seconds:.1f} | {rate:,.0f} | {m.rss_before / 2**20:.0f} MiB | "
            f"{m.rss_peak_above / 2**20:.1f} MiB |{traced} {m.others_cpu:.0%} |"
        )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="the smaller set, to compare peak memory")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python's allocations (slower)")
    args = parser.parse_args(argv)
    if min(args.photos, args.events, args.small, args.batch_size) < 1:
        parser.error("every count must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    var_dir = Path(tempfile.mkdtemp(prefix="darkroom-bench-retention-"))
    try:
        prepare_environment(var_dir)
        print(f"Throw-away embedded default in {var_dir}", flush=True)
        code, files = code_state(), code_files()
        owner = setup_django()
        results: list[Measure] = []
        for size in sorted({args.small, args.photos}):
            print(f"Making {size} expired uploads ({3 * size} objects)…", flush=True)
            made = make_expired_photos(owner, size)
            assert stored_count() == 3 * made
            if size == args.photos:
                results.append(
                    measure(
                        f"dry run, {size} uploads",
                        size,
                        swept("uploads", args.batch_size, dry_run=True),
                        trace=args.tracemalloc,
                    )
                )
            results.append(measure(f"{size} uploads", size, swept("uploads", args.batch_size), trace=args.tracemalloc))
            left = stored_count()
            assert left == 0, f"{left} objects left in the storage after the sweep"
        for size in sorted({args.small, args.events}):
            print(f"Making {size} expired usage events…", flush=True)
            make_expired_events(owner, size)
            results.append(
                measure(f"{size} usage events", size, swept("usage events", args.batch_size), trace=args.tracemalloc)
            )
        from darkroom.photos.models import Photo
        from darkroom.privacy.models import UsageEvent

        assert not Photo.objects.exists()
        assert not UsageEvent.objects.exists()
        report(code, results, args.batch_size, args.tracemalloc)
        busiest = max(m.others_cpu for m in results)
        if busiest > BUSY_MACHINE:
            print(f"\nWARNING: other processes used up to {busiest:.0%} of the CPU during a sweep.")
        changed = sorted(name for name, digest in code_files().items() if files.get(name) != digest)
        if changed:
            print(f"\nWARNING: these files changed while the bench ran: {', '.join(changed)}.")
        print(f"\nTotal bench time: {time.perf_counter() - began:.0f} s")
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
