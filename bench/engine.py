"""Engine benchmark: each local-engine operation on a 1 MP and a 12 MP photo, with 1 and 2 threads.

    python bench/engine.py [--runs 5] [--ops enhance,...] [--sizes 1,12] [--threads 1,2]

1. For every operation in OPERATIONS, photo size and thread count, a fresh
   child process (this script with --child) decodes the photo (not timed),
   calls the operation once cold, then --runs more times, and reports each
   wall time and its own peak RSS (the kernel's VmHWM). A fresh process per
   configuration keeps one operation's memory out of the next one's figure.
   Threads: cv2.setNumThreads(N), ModelStore(threads=N), and OMP/BLAS
   limited to N.
2. For enhance, the file-to-file comparison the issue sets goals on: a
   quality-90 JPEG decoded, enhanced and encoded again at quality 90, by
   Darkroom (cv2 decode → enhance → cv2 encode, in a child as above), by
   ImageMagick (``convert in.jpg -auto-level -unsharp 0x1 out.jpg``, Debian's
   imagemagick) and by libvips (``vips copy`` as the decode + encode floor,
   ``vips sharpen`` as a comparable adjustment; Debian's libvips-tools), each
   limited to the same threads (MAGICK_THREAD_LIMIT, VIPS_CONCURRENCY). The
   ratios are the tool's median time over Darkroom's.
3. For enhance, PSNR and SSIM against scikit-image's photos before and after
   they were degraded, as tests/engine/test_enhance_quality.py checks them.

The photos are bench/harness.py's photo-like 4000×3000 pixels (and that photo
shrunk to 1155×866), saved as quality-90 JPEGs in a temporary folder that is
deleted afterwards. It reports the share of the CPU other processes used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from harness import HEIGHT, WIDTH, CpuWatch, code_state, hardware, photo_pixels  # bench/harness.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZES = {"0.25": (577, 433), "1": (1155, 866), "12": (WIDTH, HEIGHT)}  # megapixels → (width, height)
PORTRAIT_SIZES = {"0.25": (512, 512), "1": (1024, 1024), "12": (3464, 3464)}
QUALITY = 90
Row = tuple[object, ...]


def _enhance(image: np.ndarray, store: Any) -> object:
    from darkroom.engine.enhance import enhance

    return enhance(image)


def _restore_faces(image: np.ndarray, store: Any) -> object:
    from darkroom.engine.restore import restore_faces

    return restore_faces(image, store)


def _upscale(scale: int, model: str) -> Callable[[np.ndarray, Any], object]:
    def run(image: np.ndarray, store: Any) -> object:
        from darkroom.engine.superres import upscale

        return upscale(image, store, scale=scale, model=model)

    return run


def _critique(image: np.ndarray, store: Any) -> object:
    from darkroom.engine.critique import critique, critique_overlay

    return critique_overlay(image, critique(image, store))


def _scene(image: np.ndarray, store: Any) -> object:
    """As the job runs it: find the person, cut them out, compose (1080×1350 output)."""
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.scene import compose_scene
    from darkroom.engine.segment import person_mask

    assert detect_faces(image, store, mesh=False)
    return compose_scene(image, person_mask(image, store), preset="bokeh-warm", look="film")


def _animate(style: str) -> Callable[[np.ndarray, Any], object]:
    """As the job runs it: the face as focus, the person mask for parallax, a 5 s 720p clip in memory."""

    def run(image: np.ndarray, store: Any) -> object:
        import io

        from darkroom.engine.animate import animate
        from darkroom.engine.faces import detect_faces
        from darkroom.engine.segment import person_mask

        faces = detect_faces(image, store, mesh=False)
        mask = person_mask(image, store) if style == "parallax" else None
        focus = faces[0].centre if faces else None
        return animate(image, io.BytesIO(), style=style, focus=focus, person_mask=mask)

    return run


def _moderate(image: np.ndarray, store: Any) -> object:
    from darkroom.engine.moderate import moderate

    return moderate(image, store, threshold=0.8)


# name → callable(image, store): an H×W×3 uint8 RGB photo and a ModelStore(threads=N).
# Import the engine module inside the callable, so a broken one fails only its own rows.
OPERATIONS: dict[str, Callable[[np.ndarray, Any], object]] = {
    "enhance": _enhance,
    "restore_faces": _restore_faces,
    "upscale_x2_fast": _upscale(2, "fast"),
    "upscale_x4_quality": _upscale(4, "quality"),
    "critique": _critique,
    "scene": _scene,
    "animate_push_in": _animate("push-in"),
    "animate_parallax": _animate("parallax"),
    "moderate": _moderate,
}
# Sizes an operation is measured at, when not every size: an upscale's input is capped by
# the profile (engine.upscale_max_megapixels: 0.5 MP free, 2 MP Pro), so 12 MP never runs.
OPERATION_SIZES: dict[str, tuple[str, ...]] = {
    "upscale_x2_fast": ("0.25", "1"),
    "upscale_x4_quality": ("0.25",),
}
# Operations that need a person run on scikit-image's astronaut portrait, scaled to the size.
OPERATION_PHOTO: dict[str, str] = {
    "restore_faces": "portrait",
    "scene": "portrait",
    "animate_push_in": "portrait",
    "animate_parallax": "portrait",
}
# The slow ones are timed fewer times (their run-to-run spread is small next to their length).
OPERATION_RUNS: dict[str, int] = {"upscale_x4_quality": 1, "upscale_x2_fast": 2, "animate_parallax": 2}


# --- the child: one configuration in a fresh process -----------------------
def limit_threads(threads: int) -> None:
    cv2.setNumThreads(threads)


def peak_kib() -> int:
    """This process's peak RSS: the kernel's VmHWM, which (unlike ru_maxrss) starts afresh at exec."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:", 1)[1].split()[0])
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(op: str, photo: Path, threads: int, runs: int) -> None:
    limit_threads(threads)
    from darkroom import paths
    from darkroom.engine.models import ModelStore

    store = ModelStore(paths.models_dir(), threads=threads)
    if op == "enhance-file":
        result = _file_runs(photo, runs)
    else:
        image = np.ascontiguousarray(cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB))
        loaded = peak_kib()
        times = []
        for _ in range(runs + 1):
            began = time.perf_counter()
            OPERATIONS[op](image, store)
            times.append(time.perf_counter() - began)
        result = {"times": times, "loaded_kib": loaded}
    result["peak_kib"] = peak_kib()
    print(json.dumps(result))


def _file_runs(photo: Path, runs: int) -> dict[str, Any]:
    from darkroom.engine.enhance import enhance

    out = photo.with_name(f"darkroom-{os.getpid()}.jpg")
    loaded = peak_kib()
    times = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        image = np.ascontiguousarray(cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB))
        enhanced, _ = enhance(image)
        cv2.imwrite(str(out), cv2.cvtColor(enhanced, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        times.append(time.perf_counter() - began)
    out.unlink()
    return {"times": times, "loaded_kib": loaded}


def run_child(op: str, photo: Path, threads: int, runs: int) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)}
    command = [sys.executable, __file__, "--child", op, str(photo), str(threads), str(runs)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# --- the comparators --------------------------------------------------------
def convert_binary() -> str | None:
    """Debian's ImageMagick 6 binary by its own name, so nothing else named convert on PATH stands in."""
    for name in ("convert-im6.q16", "magick", "convert"):
        found = shutil.which(name)
        if found:
            return found
    return None


def tool_commands(photo: Path, out: Path) -> dict[str, list[str]]:
    commands: dict[str, list[str]] = {}
    convert = convert_binary()
    if convert:
        commands["ImageMagick -auto-level -unsharp 0x1"] = [
            convert, str(photo), "-auto-level", "-unsharp", "0x1", str(out)
        ]  # fmt: skip
    vips = shutil.which("vips")
    if vips:
        commands["vips copy (decode + encode floor)"] = [vips, "copy", str(photo), f"{out}[Q={QUALITY}]"]
        commands["vips sharpen"] = [vips, "sharpen", str(photo), f"{out}[Q={QUALITY}]"]
    return commands


# Runs a tool N times and reports each wall time and the tool's peak RSS. A small
# process of its own because ru_maxrss survives exec: a tool spawned straight from
# this one reports this process's peak if that is larger (vfork + exec keep it).
_TOOL_RUNNER = """
import json, os, subprocess, sys, time
command, runs, times, peak = json.loads(sys.argv[1]), int(sys.argv[2]), [], 0
for _ in range(runs):
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    times.append(time.perf_counter() - began)
    if os.waitstatus_to_exitcode(status) != 0:
        print(json.dumps({"error": f"exit {os.waitstatus_to_exitcode(status)}"}))
        sys.exit()
    peak = max(peak, usage.ru_maxrss)
print(json.dumps({"times": times, "peak_kib": peak}))
"""


def run_tool(command: list[str], threads: int, runs: int) -> dict[str, Any]:
    env = {**os.environ, "MAGICK_THREAD_LIMIT": str(threads), "VIPS_CONCURRENCY": str(threads)}
    runner = [sys.executable, "-S", "-c", _TOOL_RUNNER, json.dumps(command), str(runs + 1)]
    done = subprocess.run(runner, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


# --- quality ----------------------------------------------------------------
def quality_rows() -> list[Row]:
    from skimage import data
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from darkroom.engine.enhance import enhance

    photos = {
        "astronaut": data.astronaut(),
        "coffee": data.coffee(),
        "rocket": data.rocket(),
        "chelsea": data.chelsea(),
    }
    rng = np.random.default_rng(5)
    degradations: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "clean": lambda p: p,
        "underexposed ×0.45": lambda p: (p * 0.45).astype(np.uint8),
        "warm cast (1, 0.9, 0.7)": lambda p: (p * np.array([1.0, 0.9, 0.7])).astype(np.uint8),
        "noise σ 10": lambda p: np.clip(p + rng.normal(0, 10, p.shape), 0, 255).astype(np.uint8),
    }
    rows = []
    for label, degrade in degradations.items():
        for name, photo in photos.items():
            degraded = degrade(photo)
            fixed, _ = enhance(degraded)
            before = [float(peak_signal_noise_ratio(photo, degraded)) if label != "clean" else float("inf")]
            before.append(float(structural_similarity(photo, degraded, channel_axis=2, data_range=255)))
            after = [float(peak_signal_noise_ratio(photo, fixed))]
            after.append(float(structural_similarity(photo, fixed, channel_axis=2, data_range=255)))
            rows.append((label, name, before[0], after[0], before[1], after[1]))
    return rows


# --- report -----------------------------------------------------------------
def ms(values: Sequence[float]) -> tuple[float, float]:
    return float(np.median(values) * 1000), float(np.min(values) * 1000)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    rule = ["---" if index == 0 else "--:" for index in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs after the cold one (default 5)")
    parser.add_argument("--ops", default=",".join(OPERATIONS), help="operations to measure (default: all)")
    parser.add_argument("--sizes", default="1,12", help="photo sizes in MP, of 1 and 12 (default both)")
    parser.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    parser.add_argument("--no-quality", action="store_true", help="skip the enhance PSNR/SSIM table")
    parser.add_argument("--child", nargs=4, metavar=("OP", "PHOTO", "THREADS", "RUNS"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def write_photos(folder: Path, sizes: Sequence[str]) -> dict[str, Path]:
    """The harness photo at each size, and the astronaut portrait (for the operations that need a person)."""
    from skimage import data

    pixels = cv2.cvtColor(photo_pixels(), cv2.COLOR_RGB2BGR)
    portrait = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    wanted = set(sizes) | {size for only in OPERATION_SIZES.values() for size in only}
    photos = {}
    for size in sorted(wanted, key=float):
        scaled = (
            pixels if SIZES[size] == (WIDTH, HEIGHT) else cv2.resize(pixels, SIZES[size], interpolation=cv2.INTER_AREA)
        )
        photos[size] = folder / f"photo-{size}mp.jpg"
        cv2.imwrite(str(photos[size]), scaled, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        photos[f"portrait-{size}"] = folder / f"portrait-{size}mp.jpg"
        resized = cv2.resize(portrait, PORTRAIT_SIZES[size], interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(str(photos[f"portrait-{size}"]), resized, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    return photos


def measure_operations(
    ops: Sequence[str], photos: dict[str, Path], sizes: Sequence[str], threads: Sequence[int], runs: int
) -> list[Row]:
    rows: list[Row] = []
    for op in ops:
        for size in OPERATION_SIZES.get(op, tuple(size for size in photos if size in sizes)):
            for count in threads:
                portrait = OPERATION_PHOTO.get(op) == "portrait"
                photo = photos[f"portrait-{size}"] if portrait else photos[size]
                result = run_child(op, photo, count, min(runs, OPERATION_RUNS.get(op, runs)))
                width, height = (PORTRAIT_SIZES if portrait else SIZES)[size]
                label = f"{width}×{height}" + (" portrait" if portrait else "")
                if "error" in result:
                    rows.append((op, label, count, "failed: " + result["error"], "", "", "", ""))
                    continue
                median, fastest = ms(result["times"][1:])
                peak, loaded = result["peak_kib"] / 1024, result["loaded_kib"] / 1024
                cold = f"{result['times'][0] * 1000:.0f}"
                rows.append(
                    (op, label, count, cold, f"{median:.0f}", f"{fastest:.0f}", f"{peak:.0f}", f"{peak - loaded:+.0f}")
                )
    return rows


def compare_enhance(
    photos: dict[str, Path], sizes: Sequence[str], threads: Sequence[int], runs: int, folder: Path
) -> list[Row]:
    rows: list[Row] = []
    for size in sizes:
        photo = photos[size]
        for count in threads:
            ours = run_child("enhance-file", photo, count, runs)
            if "error" in ours:
                rows.append((f"{size} MP", count, "Darkroom", "failed: " + ours["error"], "", "", ""))
                continue
            ours_ms = ms(ours["times"][1:])[0]
            peak = f"{ours['peak_kib'] / 1024:.0f}"
            rows.append(
                (f"{size} MP", count, "Darkroom: decode + enhance + encode", f"{ours_ms:.0f}", "1.00", peak, "")
            )
            for name, command in tool_commands(photo, folder / "tool.jpg").items():
                theirs = run_tool(command, count, runs)
                if "error" in theirs:
                    rows.append((f"{size} MP", count, name, "failed: " + theirs["error"], "", "", ""))
                    continue
                their_ms = ms(theirs["times"][1:])[0]
                ratio = their_ms / ours_ms
                verdict = (
                    f"Darkroom {ratio:.2f}× as fast" if ratio >= 1 else f"Darkroom takes {1 / ratio:.2f}× its time"
                )
                peak = f"{theirs['peak_kib'] / 1024:.0f}"
                rows.append((f"{size} MP", count, name, f"{their_ms:.0f}", f"{ratio:.2f}", peak, verdict))
    return rows


def report(
    args: argparse.Namespace, rows: list[Row], compare: list[Row], quality: list[Row], machine: list[Row]
) -> None:
    print("## Engine operations (bench/engine.py)\n")
    for name, value in machine:
        print(f"- {name}: {value}")
    print(f"\nEach configuration in a fresh process: one cold call, then the median and min of {args.runs} more.")
    print("Peak RSS is the child's VmHWM; 'over photo' is what the operation added to the decoded photo's.\n")
    header = ["operation", "photo", "threads", "cold ms", "p50 ms", "min ms", "peak RSS MiB", "over photo MiB"]
    print(table(header, rows))
    if compare:
        print(
            f"\nJPEG q{QUALITY} file → decode, adjust, encode q{QUALITY} → file; median of {args.runs} runs after one"
        )
        print("warm-up; ratio = the tool's time / Darkroom's:\n")
        print(table(["photo", "threads", "tool", "p50 ms", "ratio", "peak RSS MiB", ""], compare))
    if quality:
        print("\nenhance, against the photo before it was degraded (scikit-image's samples):\n")
        cells = [(label, name, f"{a:.1f} → {b:.1f}", f"{c:.3f} → {d:.3f}") for label, name, a, b, c, d in quality]
        print(table(["degradation", "photo", "PSNR dB", "SSIM"], cells))


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        op, photo, threads, runs = args.child
        child(op, Path(photo), int(threads), int(runs))
        return
    ops = [op for op in args.ops.split(",") if op]
    unknown = [op for op in ops if op not in OPERATIONS]
    if unknown:
        sys.exit(f"unknown operation(s): {', '.join(unknown)}; known: {', '.join(OPERATIONS)}")
    threads = [int(t) for t in args.threads.split(",")]
    load, began, load_average = CpuWatch(), time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="darkroom-bench-engine-") as folder:
        sizes = args.sizes.split(",")
        photos = write_photos(Path(folder), sizes)
        rows = measure_operations(ops, photos, sizes, threads, args.runs)
        compare = compare_enhance(photos, sizes, threads, args.runs, Path(folder)) if "enhance" in ops else []
    quality = [] if args.no_quality or "enhance" not in ops else quality_rows()
    machine = [
        *hardware(),
        ("load average (1, 5, 15 min)", f"{_loads(load_average)} at the start, {_loads(os.getloadavg())} at the end"),
        ("other processes' share of the CPU during the run", f"{load.others():.0%}"),
        ("python / numpy / opencv", f"{platform.python_version()} / {np.__version__} / {cv2.__version__}"),
        ("ImageMagick / vips", f"{convert_binary() or 'not installed'} / {shutil.which('vips') or 'not installed'}"),
        ("code", code_state()),
    ]
    report(args, rows, compare, quality, machine)
    print(f"\nCommand: python bench/engine.py --runs {args.runs} ({time.perf_counter() - began:.0f} s)")


def _loads(values: Sequence[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
