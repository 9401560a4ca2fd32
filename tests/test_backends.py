"""CI runs the suite on real servers; this proves they were really used.

With DARKROOM_EXPECT_BACKENDS=postgresql,redis,s3 (set by .ci/run), a run that
silently fell back to SQLite, the SQLite queue or local files fails here.
"""

from __future__ import annotations

import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection

EXPECTED = {part for part in os.environ.get("DARKROOM_EXPECT_BACKENDS", "").split(",") if part}


@pytest.mark.django_db
def test_the_database_is_the_expected_one() -> None:
    expected = "postgresql" if "postgresql" in EXPECTED else "sqlite"
    assert connection.vendor == expected


def test_the_queue_is_the_expected_one(huey_queue: object) -> None:
    from huey.contrib.djhuey import HUEY

    expected = "RedisHuey" if "redis" in EXPECTED else "SqliteHuey"
    assert HUEY.__class__.__name__ == expected
    HUEY.storage.enqueue(b"probe")  # and it answers
    assert HUEY.storage.dequeue() == b"probe"


def test_the_storage_is_the_expected_one() -> None:
    expected = "S3Storage" if "s3" in EXPECTED else "FileSystemStorage"
    storage = storages["default"]
    assert storage.__class__.__name__ == expected
    name = storage.save("backend-probe.txt", ContentFile(b"probe"))
    try:
        assert storage.open(name).read() == b"probe"
    finally:
        storage.delete(name)
