"""The provider chain: retries with backoff, fallback on refusal or failure, the circuit breaker."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.studio import chain
from darkroom.studio.chain import ChainFailed, run_chain
from darkroom.studio.providers.base import Failed, OnSent, Rejected, Sent, Transient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keys(settings: SettingsWrapper) -> None:
    settings.OPENAI_API_KEY = "sk-test"
    settings.REPLICATE_API_TOKEN = "r8_test"
    settings.ANTHROPIC_API_KEY = ""
    for name in ("openai", "replicate", "anthropic"):
        cache.delete(chain._breaker_key(name))


def _answers(*outcomes: object) -> Callable[[OnSent], str]:
    """A step that raises or returns each of ``outcomes`` in turn, counting its calls."""
    queue = list(outcomes)

    def step(on_sent: OnSent) -> str:
        step.calls += 1  # type: ignore[attr-defined]
        on_sent(Sent("Test", ("image",), f"req-{step.calls}", "a day"))  # type: ignore[attr-defined]
        outcome = queue.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    step.calls = 0  # type: ignore[attr-defined]
    return step


def test_a_refusal_moves_on_to_the_next_provider_and_both_are_logged() -> None:
    sent: list[Sent] = []
    openai = _answers(Rejected("OpenAI", "OpenAI's safety system refused this photo"))
    replicate = _answers("portrait")
    answer, steps = run_chain(["openai", "replicate", "local"], {"openai": openai, "replicate": replicate},
                              on_sent=sent.append, sleep=lambda _: None)  # fmt: skip
    assert answer == "portrait"
    assert [(s.provider, s.outcome) for s in steps] == [("openai", "refused"), ("replicate", "made it")]
    assert steps[0].reason == "OpenAI's safety system refused this photo"
    assert len(sent) == 2  # the photo went to both


def test_a_transient_error_is_retried_with_backoff_then_succeeds() -> None:
    pauses: list[float] = []
    openai = _answers(Transient("OpenAI", "busy", retry_after=3.0), Transient("OpenAI", "busy"), "portrait")
    answer, steps = run_chain(["openai"], {"openai": openai}, on_sent=lambda _: None, sleep=pauses.append)
    assert answer == "portrait"
    assert steps[0].attempts == 3
    assert pauses[0] == 3.0  # the provider's Retry-After
    assert 2.0 <= pauses[1] <= 6.0  # the second pause: 4 s ± 50 % jitter


def test_retries_are_bounded_then_the_next_provider_runs() -> None:
    openai = _answers(*[Transient("OpenAI", "OpenAI is overloaded")] * chain.ATTEMPTS)
    local = _answers("made here")
    answer, steps = run_chain(["openai", "local"], {"openai": openai, "local": local}, on_sent=lambda _: None,
                              sleep=lambda _: None)  # fmt: skip
    assert answer == "made here"
    assert openai.calls == chain.ATTEMPTS  # type: ignore[attr-defined]
    assert steps[0].outcome == "failed"


def test_when_every_provider_fails_the_reasons_are_all_told() -> None:
    openai = _answers(Failed("OpenAI", "the operator's OpenAI key was refused"))
    replicate = _answers(Rejected("Replicate", "the model flagged the photo as NSFW"))
    with pytest.raises(ChainFailed) as failed:
        run_chain(["openai", "replicate"], {"openai": openai, "replicate": replicate}, on_sent=lambda _: None)
    message = str(failed.value)
    assert "OpenAI failed: the operator's OpenAI key was refused" in message
    assert "Replicate refused: the model flagged the photo as NSFW" in message


def test_a_provider_without_its_key_is_passed_over(settings: SettingsWrapper) -> None:
    settings.OPENAI_API_KEY = ""
    openai, local = _answers("never"), _answers("local")
    answer, steps = run_chain(["openai", "local"], {"openai": openai, "local": local}, on_sent=lambda _: None)
    assert answer == "local"
    assert openai.calls == 0  # type: ignore[attr-defined]
    assert [s.provider for s in steps] == ["local"]


def test_the_breaker_skips_a_provider_after_repeated_failures_then_lets_it_try_again() -> None:
    for _ in range(chain.BREAKER_FAILURES):
        with pytest.raises(ChainFailed):
            run_chain(["openai"], {"openai": _answers(Failed("OpenAI", "down"))}, on_sent=lambda _: None)
    skipped = _answers("never")
    answer, steps = run_chain(["openai", "local"], {"openai": skipped, "local": _answers("local")},
                              on_sent=lambda _: None)  # fmt: skip
    assert answer == "local"
    assert skipped.calls == 0  # type: ignore[attr-defined]
    assert steps[0].outcome == "skipped"
    cache.delete(chain._breaker_key("openai"))  # the breaker's time is up
    answer, _ = run_chain(["openai"], {"openai": _answers("back")}, on_sent=lambda _: None)
    assert answer == "back"


def test_a_success_closes_the_breaker() -> None:
    for _ in range(chain.BREAKER_FAILURES - 1):
        with pytest.raises(ChainFailed):
            run_chain(["replicate"], {"replicate": _answers(Failed("Replicate", "down"))}, on_sent=lambda _: None)
    run_chain(["replicate"], {"replicate": _answers("ok")}, on_sent=lambda _: None)
    assert not chain.breaker_open("replicate")
    with pytest.raises(ChainFailed):
        run_chain(["replicate"], {"replicate": _answers(Failed("Replicate", "down"))}, on_sent=lambda _: None)
    assert not chain.breaker_open("replicate")  # one failure after a success, not five in a row
