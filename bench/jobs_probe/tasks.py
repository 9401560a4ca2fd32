"""The bare no-op task and the worker-side timestamps of bench/jobs.py.

djhuey's autodiscovery imports this module in the worker (the app is in
INSTALLED_APPS only under ``jobs_probe.settings``). When ``BENCH_JOBS_PROBE``
names a file, the process appends one line per event to it:
``event key unix-time pid``. The benchmark sets the variable for its workers
only. Lines are single small ``O_APPEND`` writes, so lines from several
threads and processes never interleave, and a write costs microseconds: the
probe does not move the figures it takes.

Events: ``executing``/``complete`` (Huey's signals, for ``run_job`` and
``noop``; the key is the task's first argument), ``noop`` (the no-op's body),
``claim-start``/``claimed`` (around ``actions.claim``: after it the row is
running), ``handler-start``/``handler-end`` (around the kind's handler, so the
handler's own time can be taken out of the job's), ``progress-seconds`` (whose value is
not a time of day but the seconds the handler spent in its progress reports)
and ``finished`` (darkroom's ``job_finished``, sent once the success has been
committed).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

from huey import signals
from huey.contrib.djhuey import HUEY, task

import darkroom.studio.tasks  # noqa: F401  (registers the kinds' handlers, wrapped below)
from darkroom.studio import actions, runner
from darkroom.studio.models import Job

PROBE_VARIABLE = "BENCH_JOBS_PROBE"
TRACED_TASKS = ("run_job", "noop")

_path = os.environ.get(PROBE_VARIABLE)
_fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if _path else None


def record(event: str, key: object, value: float | None = None) -> None:
    """One line: ``event key value pid``; the value is the time now unless given."""
    if _fd is not None:
        at = time.time() if value is None else value
        os.write(_fd, f"{event} {key} {at:.6f} {os.getpid()}\n".encode())


@task()  # type: ignore[untyped-decorator]
def noop(token: str) -> None:
    """The baseline: Huey's own round trip, with none of darkroom's job machinery (no claim, no lease, no DB)."""
    record("noop", token)


def _timed(handler: runner.Handler) -> runner.Handler:
    @functools.wraps(handler)
    def run(job: Job, progress: runner.Progress) -> runner.Outcome:
        # Each progress report renews the lease in the database: the machinery's
        # cost inside the handler's time, so it is measured on its own.
        spent = 0.0

        def timed_progress(percent: int) -> None:
            nonlocal spent
            began = time.perf_counter()
            try:
                progress(percent)
            finally:
                spent += time.perf_counter() - began

        record("handler-start", job.pk)
        try:
            return handler(job, timed_progress)
        finally:
            record("handler-end", job.pk)
            record("progress-seconds", job.pk, spent)

    return run


def _timed_claim(claim: Callable[..., bool]) -> Callable[..., bool]:
    @functools.wraps(claim)
    def run(job_id: int, *args: Any, **kwargs: Any) -> bool:
        record("claim-start", job_id)
        try:
            return claim(job_id, *args, **kwargs)
        finally:
            record("claimed", job_id)

    return run


def _on_signal(event: str) -> Any:
    def receiver(_signal: str, task: Any, *_args: Any) -> None:
        if task.name in TRACED_TASKS:
            record(event, task.args[0] if task.args else task.id)

    return receiver


def _on_finished(sender: object, job: Job, **_kwargs: Any) -> None:
    record("finished", job.pk)


if _fd is not None:
    # runner.run looks both up when it runs, so the wrapped ones are what it calls.
    actions.claim = _timed_claim(actions.claim)
    for _kind, _handler in list(runner.HANDLERS.items()):
        runner.HANDLERS[_kind] = _timed(_handler)
    HUEY.signal(signals.SIGNAL_EXECUTING)(_on_signal("executing"))
    HUEY.signal(signals.SIGNAL_COMPLETE)(_on_signal("complete"))
    actions.job_finished.connect(_on_finished, weak=False)
