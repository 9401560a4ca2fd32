"""Where the embedded default keeps its files; read by the settings and by Django-free commands."""

from __future__ import annotations

from pathlib import Path

from darkroom import env

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """``DARKROOM_VAR_DIR``, default ``var/`` in the checkout: database, queue, files, models."""
    return Path(env.string("DARKROOM_VAR_DIR") or BASE_DIR / "var").resolve()


def models_dir() -> Path:
    """``DARKROOM_MODELS_DIR``, default ``<var>/models``: the local engine's model files."""
    return Path(env.string("DARKROOM_MODELS_DIR") or var_dir() / "models").resolve()
