"""Running a job down its provider chain: retries, fallback, a circuit breaker, and the processor log.

The profile names the chain per job kind and tier (``providers.chains``).
Each step is tried in order: ``Transient`` is retried with exponential
backoff and jitter (bounded), ``Rejected`` and ``Failed`` move on to the
next provider, and a provider that keeps failing is skipped for a while
(the breaker) so every job does not wait out its timeouts. What each
provider did is kept for the job page ("OpenAI refused this photo; made by
Replicate"). When every step has failed the job fails with all the reasons.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.cache import cache

from darkroom.studio.providers.base import Failed, OnSent, ProviderError, Rejected, Transient

log = logging.getLogger(__name__)
T = TypeVar("T")

DISPLAY = {
    "local": "Darkroom's engine",
    "openai": "OpenAI",
    "replicate": "Replicate",
    "kling": "Kling",
    "anthropic": "Anthropic",
}

# Three tries a provider: a rate limit or a 5xx usually clears within seconds.
ATTEMPTS = 3
BACKOFF_BASE = 2.0
BACKOFF_CAP = 30.0
# Five failures in a row open the breaker for five minutes.
BREAKER_FAILURES = 5
BREAKER_SECONDS = 300


@dataclass(frozen=True)
class Step:
    """What one provider of the chain did."""

    provider: str
    outcome: str  # "made it", "refused", "failed", "skipped"
    reason: str = ""
    attempts: int = 0


class Journal(Protocol):
    """Where a job notes the provider it is waiting on (``remote.JobJournal``)."""

    def interrupted(self, provider: str) -> bool: ...
    def sending(self, provider: str) -> None: ...
    def answered(self, provider: str) -> None: ...


INTERRUPTED = (
    "an earlier try of this job stopped while waiting for its answer; it is not asked again, "
    "so the job cannot be paid for twice"
)


class ChainFailed(Exception):
    """Every provider of the chain refused or failed; the message names each and why."""

    def __init__(self, steps: list[Step]) -> None:
        reasons = [f"{DISPLAY.get(s.provider, s.provider)} {s.outcome}: {s.reason}" for s in steps if s.reason]
        super().__init__("No provider could do this job. " + " ".join(reasons))
        self.steps = steps


def configured(name: str) -> bool:
    """A provider runs only with its key; the engine always runs."""
    keys = {
        "local": True,
        "openai": bool(settings.OPENAI_API_KEY),
        "anthropic": bool(settings.ANTHROPIC_API_KEY),
        "replicate": bool(settings.REPLICATE_API_TOKEN),
        "kling": bool(settings.KLING_ACCESS_KEY and settings.KLING_SECRET_KEY),
    }
    return keys.get(name, False)


def _breaker_key(name: str) -> str:
    return f"provider-breaker:{name}"


def breaker_open(name: str) -> bool:
    failures = cache.get(_breaker_key(name), 0)
    return isinstance(failures, int) and failures >= BREAKER_FAILURES


def _failed(name: str) -> None:
    key = _breaker_key(name)
    failures = cache.get(key, 0)
    cache.set(key, (failures if isinstance(failures, int) else 0) + 1, BREAKER_SECONDS)
    if (failures or 0) + 1 == BREAKER_FAILURES:
        log.warning("provider %s failed %d times in a row; skipped for %d s", name, BREAKER_FAILURES, BREAKER_SECONDS)


def _succeeded(name: str) -> None:
    cache.delete(_breaker_key(name))


def backoff(attempt: int, retry_after: float | None) -> float:
    """Seconds before try ``attempt + 1``: the provider's Retry-After if it gave one, else 2, 4, 8 s… ± jitter."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), BACKOFF_CAP * 2)
    pause: float = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)  # noqa: S311
    return pause


def run_chain(
    chain: list[str],
    steps: dict[str, Callable[[OnSent], T]],
    *,
    on_sent: OnSent,
    journal: Journal | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, list[Step]]:
    """Run the first provider of ``chain`` that can do the job; return its answer and what each did.

    ``steps`` maps a provider name to the call that does the job there; a
    name in the chain without a step, or without its key, is skipped. The
    local engine's errors (``JobError``) are not caught here: they end the
    job with their own message. With a ``journal``, each remote call is noted
    before it leaves, and a provider an earlier attempt was cut off waiting
    for is skipped (``Journal.interrupted``).
    """
    done: list[Step] = []
    for name in chain:
        call = steps.get(name)
        if call is None or not configured(name):
            continue
        if name != "local" and breaker_open(name):
            done.append(Step(name, "skipped", "it failed repeatedly in the last minutes", 0))
            continue
        if name != "local" and journal is not None and journal.interrupted(name):
            done.append(Step(name, "skipped", INTERRUPTED, 0))
            continue
        if name == "local":
            answer = call(on_sent)
            done.append(Step(name, "made it", "", 1))
            return answer, done
        for attempt in range(1, ATTEMPTS + 1):
            try:
                answer = _call(name, call, on_sent, journal)
            except Transient as busy:
                if attempt == ATTEMPTS:
                    done.append(Step(name, "failed", busy.message, attempt))
                    _failed(name)
                    break
                pause = backoff(attempt, busy.retry_after)
                log.info("%s: %s; try %d in %.1f s", name, busy.message, attempt + 1, pause)
                sleep(pause)
            except Rejected as refused:
                done.append(Step(name, "refused", refused.message, attempt))
                break
            except Failed as failed:
                done.append(Step(name, "failed", failed.message, attempt))
                _failed(name)
                break
            except ProviderError as other:  # a subclass we do not know: treat as failed
                done.append(Step(name, "failed", other.message, attempt))
                _failed(name)
                break
            else:
                _succeeded(name)
                done.append(Step(name, "made it", "", attempt))
                return answer, done
    raise ChainFailed(done)


def _call(name: str, call: Callable[[OnSent], T], on_sent: OnSent, journal: Journal | None) -> T:
    """One try at a provider, noted in the journal while it is out: only a dead worker leaves the note behind."""
    if journal is None:
        return call(on_sent)
    journal.sending(name)
    try:
        return call(on_sent)
    finally:
        journal.answered(name)


def steps_report(steps: list[Step]) -> list[dict[str, Any]]:
    """The steps as the job's report keeps them."""
    return [{**asdict(step), "name": DISPLAY.get(step.provider, step.provider)} for step in steps]
