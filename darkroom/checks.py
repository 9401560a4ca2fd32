"""`darkroom check`: every configuration problem, in plain words.

Each check returns a list of sentences; an empty list means all is well.
Checks run in order and stop early only when later ones could not make
sense (no settings, no database).
"""

from __future__ import annotations

import os

from darkroom import profile


def _profile() -> list[str]:
    try:
        profile.active.cache_clear()
        profile.active()
    except profile.ProfileError as exc:
        return [str(exc)]
    return []


def _settings() -> list[str]:
    from darkroom.env import EnvError

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "darkroom.settings")
    try:
        import django

        django.setup()
    except EnvError as exc:
        return [f"Environment: {exc}"]
    return []


def _database() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        connection.ensure_connection()
    except Exception as exc:
        return [f"Database: cannot connect ({exc.__class__.__name__}: {exc}). Check DATABASE_URL."]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return [f"Database: {len(pending)} migration(s) not applied. Run: darkroom migrate"]
    return []


def _storage() -> list[str]:
    from darkroom.photos.storage import private_storage

    try:
        private_storage().exists("healthz-probe")
    except Exception as exc:
        return [
            f"Storage: cannot reach it ({exc.__class__.__name__}: {exc}). "
            "Check AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL and the access keys."
        ]
    return []


def _queue() -> list[str]:
    from huey.contrib.djhuey import HUEY

    try:
        HUEY.pending_count()
    except Exception as exc:
        return [f"Queue: cannot reach it ({exc.__class__.__name__}: {exc}). Check REDIS_URL."]
    return []


def models() -> list[str]:
    """The local engine's model files: every worker needs them, a web-only server does not."""
    from django.conf import settings

    from darkroom.engine.models import ModelStore

    missing = ModelStore(settings.MODELS_DIR).missing()
    if missing:
        return [
            f"Models: {len(missing)} of the local engine's model files are missing from {settings.MODELS_DIR} "
            f"({', '.join(missing)}). Run: darkroom models fetch"
        ]
    return []


def run_all(*, worker: bool = True) -> list[str]:
    """Every problem, in order; ``worker=False`` (a web-only server) leaves out the model files."""
    problems = _profile()
    if problems:
        return problems
    problems = _settings()
    if problems:
        return problems
    problems = _database()
    if any(p.startswith("Database: cannot connect") for p in problems):
        return problems
    return problems + _storage() + _queue() + (models() if worker else [])
