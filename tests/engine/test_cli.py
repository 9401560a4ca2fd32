"""`darkroom engine OP INPUT [OUTPUT]` as an operator runs it: a real process, real files, no server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from skimage import data


def _darkroom(*args: str, cwd: Path, models: Path | None = None) -> subprocess.CompletedProcess[str]:
    # No DJANGO_SETTINGS_MODULE and an empty var dir: the engine commands need neither.
    # The models are the checkout's (tests/settings.py), unless a test gives its own folder.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["DARKROOM_VAR_DIR"] = str(cwd / "var")
    if models is not None:
        env["DARKROOM_MODELS_DIR"] = str(models)
    return subprocess.run(
        [sys.executable, "-m", "darkroom.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def selfie(tmp_path: Path) -> Path:
    path = tmp_path / "selfie.jpg"
    Image.fromarray(data.astronaut()).save(path, quality=90)
    return path


def test_critique_prints_json_and_writes_the_annotated_copy(selfie: Path, tmp_path: Path) -> None:
    done = _darkroom("engine", "critique", str(selfie), str(tmp_path / "notes.png"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert 0 <= report["overall"] <= 100
    assert len(report["faces"]) == 1
    assert Image.open(tmp_path / "notes.png").size == (512, 512)


def test_moderate_prints_the_verdict(selfie: Path, tmp_path: Path) -> None:
    done = _darkroom("engine", "moderate", str(selfie), "--threshold", "0.8", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["allowed"] is True


@pytest.mark.parametrize(
    ("args", "size"),
    [
        (("enhance", "--strength", "0.7"), (512, 512)),
        (("scene", "--preset", "paper-teal", "--look", "bw"), (1080, 1350)),
    ],
    ids=["enhance", "scene"],
)
def test_image_operations_write_their_result(selfie: Path, tmp_path: Path, args: tuple[str, ...], size: tuple) -> None:
    out = tmp_path / "out.png"
    done = _darkroom("engine", args[0], str(selfie), str(out), *args[1:], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == size


def test_upscale_doubles_a_small_photo(tmp_path: Path) -> None:
    small = tmp_path / "small.png"
    Image.fromarray(np.ascontiguousarray(data.astronaut()[100:228, 150:278])).save(small)
    done = _darkroom("engine", "upscale", str(small), str(tmp_path / "big.png"), "--scale", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Image.open(tmp_path / "big.png").size == (256, 256)
    assert "100%" in done.stderr  # progress, as it went


def test_animate_writes_a_clip(selfie: Path, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    done = _darkroom("engine", "animate", str(selfie), str(clip), "--seconds", "1", "--style", "pan", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with av.open(str(clip)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_it_names_what_is_wrong_in_plain_words(selfie: Path, tmp_path: Path) -> None:
    not_a_photo = tmp_path / "notes.txt"
    not_a_photo.write_text("hello")
    done = _darkroom("engine", "enhance", str(not_a_photo), str(tmp_path / "x.png"), cwd=tmp_path)
    assert done.returncode != 0
    assert "is not a photo this command can read" in done.stderr
    done = _darkroom("engine", "scene", str(selfie), str(tmp_path / "x.png"), "--preset", "moon", cwd=tmp_path)
    assert done.returncode != 0
    assert "choose a --preset" in done.stderr
    done = _darkroom("engine", "enhance", str(selfie), cwd=tmp_path)
    assert "needs an OUTPUT file" in done.stderr


def test_without_models_it_says_which_are_missing_and_how_to_get_them(selfie: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-models"
    empty.mkdir()
    done = _darkroom("models", "list", cwd=tmp_path, models=empty)
    assert done.returncode == 1
    assert "missing  face_detection_short" in done.stdout
    assert "Run: darkroom models fetch" in done.stdout
    done = _darkroom("engine", "critique", str(selfie), cwd=tmp_path, models=empty)
    assert done.returncode != 0
    assert "model files missing" in done.stderr
    assert "Run: darkroom models fetch" in done.stderr


def test_models_list_checks_every_file_of_the_fetched_set(tmp_path: Path) -> None:
    done = _darkroom("models", "list", cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert done.stdout.count("ok ") == 13
