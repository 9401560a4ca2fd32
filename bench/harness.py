"""What both benchmarks record about the code they measured.

A benchmark's figures belong to one state of the code: these helpers name the
commit (and any uncommitted change under darkroom/ or profiles/) and a digest
of the files, so that a file edited while a benchmark ran is noticed.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
