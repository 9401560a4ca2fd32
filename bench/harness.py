"""What both benchmarks share: the photo they upload, and the record of the code they measured.

A benchmark's figures belong to one state of the code: these helpers name the
commit (and any uncommitted change under darkroom/ or profiles/) and a digest
of the files, so that a file edited while a benchmark ran is noticed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 4000, 3000  # 12 MP, a phone camera's photo


def code_files() -> dict[str, str]:
    """A digest of each of darkroom's code, template and profile files, to notice an edit made during the run."""
    paths = [
        *ROOT.joinpath("darkroom").rglob("*.py"),
        *ROOT.joinpath("darkroom").rglob("*.html"),
        *ROOT.joinpath("profiles").glob("*.toml"),
    ]
    return {str(path.relative_to(ROOT)): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(paths)}


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for name, file_digest in code_files().items():
        digest.update(f"{name} {file_digest}\n".encode())
    return digest.hexdigest()[:12]


def code_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "darkroom", "profiles"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return f"not a git checkout (code digest {code_fingerprint()})"
    dirty = f" + {len(status)} uncommitted change(s) under darkroom/ and profiles/" if status else ""
    return f"commit {head}{dirty} (code digest {code_fingerprint()})"


def photo_pixels(seed: int = 12) -> np.ndarray:
    """Photo-like 4000×3000 RGB pixels: gradients, shapes with edges, grain and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    sky = np.stack([x / WIDTH * 160 + 40, y / HEIGHT * 130 + 50, (x + y) / (WIDTH + HEIGHT) * 110 + 70], axis=-1)
    blotches = rng.normal(0, 1, size=(HEIGHT // 50, WIDTH // 50, 3)).astype(np.float32)
    sky += cv2.resize(blotches, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC) * 25
    canvas = np.clip(sky, 0, 255).astype(np.uint8)
    for _ in range(60):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        cx, cy = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        if rng.random() < 0.5:
            corner = (cx + int(rng.integers(50, 800)), cy + int(rng.integers(50, 600)))
            cv2.rectangle(canvas, (cx, cy), corner, colour, -1, cv2.LINE_AA)
        else:
            cv2.circle(canvas, (cx, cy), int(rng.integers(20, 400)), colour, -1, cv2.LINE_AA)
    soft = cv2.GaussianBlur(canvas, (0, 0), 1.0).astype(np.float32)
    grain = cv2.GaussianBlur(rng.normal(0, 1, size=(HEIGHT, WIDTH)).astype(np.float32), (0, 0), 0.6)
    noise = rng.normal(0, 6, size=soft.shape).astype(np.float32)
    return np.clip(soft + grain[..., None] * 35 + noise, 0, 255).astype(np.uint8)


def hardware() -> list[tuple[str, str]]:
    """The rows every benchmark report starts with: platform, CPU and cores, memory."""
    cpu = memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [("platform", platform.platform()), ("cpu", f"{cpu}, nproc {nproc}"), ("memory", memory)]


class CpuWatch:
    """How much CPU other processes used while a phase ran: 0 % on a quiet machine."""

    def __init__(self) -> None:
        self.began = time.perf_counter()
        self.busy, self.own = self._busy(), self._own()

    @staticmethod
    def _busy() -> float:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        except OSError:
            return float("nan")
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def others(self) -> float:
        """Share of the machine's CPU (all cores) used by other processes since this watch began."""
        wall = time.perf_counter() - self.began
        others = (self._busy() - self.busy) - (self._own() - self.own)
        return max(0.0, others) / (wall * (os.cpu_count() or 1))
