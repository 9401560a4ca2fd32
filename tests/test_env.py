from __future__ import annotations

from pathlib import Path

import pytest

from darkroom import env


def test_it_reads_a_secret_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("SOME_KEY_FILE", str(secret))
    assert env.string("SOME_KEY") == "s3cret"


def test_it_names_the_variable_of_a_bad_boolean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKROOM_HTTPS", "maybe")
    with pytest.raises(env.EnvError, match="DARKROOM_HTTPS must be true or false"):
        env.boolean("DARKROOM_HTTPS", False)


def test_it_names_the_variable_of_a_bad_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(env.EnvError, match="DATABASE_URL must start with one of"):
        env.url("DATABASE_URL", None, schemes=("sqlite", "postgres"))


def test_it_names_the_variable_of_a_bad_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DARKROOM_WORKERS", "two")
    with pytest.raises(env.EnvError, match="DARKROOM_WORKERS must be a whole number"):
        env.integer("DARKROOM_WORKERS", 2)
    monkeypatch.setenv("DARKROOM_WORKERS", "0")
    with pytest.raises(env.EnvError, match="at least 1"):
        env.integer("DARKROOM_WORKERS", 2, minimum=1)


def test_a_decimal_number_is_read_and_a_bad_one_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_POLL_SECONDS", "0.25")
    assert env.number("REPLICATE_POLL_SECONDS", 2.0, minimum=0.1) == 0.25
    for bad, reason in (("soon", "must be a number"), ("0", "must be at least 0.1"), ("nan", "must be at least 0.1")):
        monkeypatch.setenv("REPLICATE_POLL_SECONDS", bad)
        with pytest.raises(env.EnvError, match=f"REPLICATE_POLL_SECONDS {reason}"):
            env.number("REPLICATE_POLL_SECONDS", 2.0, minimum=0.1)


def test_it_refuses_a_file_that_cannot_be_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(env.EnvError, match="SECRET_KEY_FILE"):
        env.string("SECRET_KEY")


@pytest.mark.django_db
def test_a_web_only_server_does_not_need_the_models_but_a_worker_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from django.conf import settings

    from darkroom import checks

    monkeypatch.setattr(settings, "MODELS_DIR", tmp_path)
    assert checks.models()[0].endswith("Run: darkroom models fetch")
    assert not any(problem.startswith("Models:") for problem in checks.run_all(worker=False))
    assert any(problem.startswith("Models:") for problem in checks.run_all(worker=True))
