"""What goes into a person's export, read from the inventory (DESIGN.md invariant 5).

For every model of ``privacy.inventory.INVENTORY`` with a personal field
that is not withheld, the rows that belong to the person are found through
the model's own links (a foreign key to the user, or to a row that has one:
wallet → user), never through a list kept here. Each exported field is
explained in ``about.json`` by its category, purpose and retention; each
withheld one is named there with the reason (``inventory.Withheld``).

The ZIP holds ``account.json`` (the rows, one per line), every stored photo
and result under ``photos/``, then ``about.json`` and ``README.txt``. It is
made as a stream: rows are read in batches and files one at a time, so
memory stays flat however much the person has.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from zipfile import ZIP_DEFLATED, ZIP_STORED

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from zipstream import ZipStream

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.models import Photo
from darkroom.privacy.inventory import INVENTORY, LINK, Personal
from darkroom.privacy.processors import processor_record

FORMAT = "darkroom-export"
VERSION = 1
_BATCH = 500
# Beyond wallet → user nothing is two links away; three is room without inviting cycles.
_MAX_HOPS = 3
# Non-personal columns that make a row readable: what a photo is, which job made it, how a job
# ended, which policy version a consent was given to.
_CONTEXT: dict[str, dict[str, str]] = {
    "photos.Photo": {"kind": "kind", "content_type": "content_type", "made_by_job": "produced_by__public_id"},
    "studio.Job": {"state": "state"},
    "privacy.PolicyAcceptance": {"policy_version": "version__number"},
    "privacy.PolicyNotice": {"policy_version": "version__number"},
}


class NotLinked(LookupError):
    """A model holds exportable personal data but no chain of links reaches its owner."""


def owner_path(model: type[models.Model]) -> str:
    """The ORM lookup from ``model`` to the user who owns its rows ("" for the user model itself).

    Only foreign keys the inventory calls ``LINK`` ("links to the owner's row")
    are followed, so an operator's name on a record is never taken for its owner.
    Breadth first: the shortest chain wins (an order's ``user``, not ``wallet__user``).
    """
    if model is User:
        return ""
    frontier: list[tuple[type[models.Model], str]] = [(model, "")]
    for _ in range(_MAX_HOPS):
        following: list[tuple[type[models.Model], str]] = []
        for current, prefix in frontier:
            entries = INVENTORY.get(current._meta.label, {})
            for fk in current._meta.concrete_fields:
                if not fk.is_relation or entries.get(fk.name) is not LINK or fk.related_model is None:
                    continue
                target = fk.related_model
                assert isinstance(target, type)
                if target is User:
                    return f"{prefix}{fk.name}"
                following.append((target, f"{prefix}{fk.name}__"))
        frontier = following
    raise NotLinked(f"{model._meta.label} holds personal data but no LINK field leads to its owner")


@dataclass(frozen=True)
class Section:
    """One model's part of the export: which fields go out, and how its rows are found."""

    label: str
    model: type[models.Model]
    fields: dict[str, Personal]  # exported: personal and not withheld
    path: str

    def columns(self) -> dict[str, str]:
        """Output name → ORM lookup, for ``values()``."""
        names = {f.name for f in self.model._meta.concrete_fields}
        columns = {"public_id": "public_id"} if "public_id" in names else {}
        columns.update({name: name for name in self.fields})
        # A link to another row is given as that row's public id, so records can be matched
        # (a result to its job, a transfer to its photo); a random id says nothing by itself.
        for fk in self.model._meta.concrete_fields:
            target = fk.related_model
            if fk.is_relation and target is not User and isinstance(target, type) and _has_public_id(target):
                columns[fk.name] = f"{fk.name}__public_id"
        columns.update(_CONTEXT.get(self.label, {}))
        return columns

    def rows(self, user: User) -> Iterator[dict[str, Any]]:
        lookup: dict[str, Any] = {self.path: user} if self.path else {"pk": user.pk}
        rows = self.model._default_manager.filter(**lookup)
        columns = self.columns()
        for row in rows.order_by("pk").values(*columns.values()).iterator(chunk_size=_BATCH):
            yield {name: row[lookup] for name, lookup in columns.items()}


def _has_public_id(model: type[models.Model]) -> bool:
    return any(f.name == "public_id" for f in model._meta.concrete_fields)


def sections() -> list[Section]:
    """Every installed model with exportable personal fields, in inventory order."""
    found = []
    for label, entries in INVENTORY.items():
        exported = {name: e for name, e in entries.items() if isinstance(e, Personal) and e.exportable}
        if exported:
            model = apps.get_model(label)
            found.append(Section(label, model, exported, owner_path(model)))
    return found


def withheld_fields() -> list[dict[str, str]]:
    """Every personal field left out of exports, with its reason: about.json lists them."""
    return [
        {"record": label, "field": name, "category": e.category, "purpose": e.purpose, "why": e.withheld}
        for label, entries in INVENTORY.items()
        for name, e in entries.items()
        if isinstance(e, Personal) and e.withheld is not None
    ]


def photo_path(photo_id: Any, kind: str, content_type: str) -> str:
    extension = {"image/png": "png", "video/mp4": "mp4"}.get(content_type, "jpg")
    return f"photos/{kind}s/{photo_id}.{extension}"


@dataclass
class Tally:
    """What went into the archive, for about.json and the row's progress."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    file_bytes: int = 0
    missing: list[str] = field(default_factory=list)  # photos deleted while the export ran


def _json_line(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def account_json(user: User, tally: Tally, generated_at: datetime.datetime) -> Iterator[bytes]:
    """account.json, a batch of rows at a time: every section's rows, one JSON object per line."""
    head = {"format": FORMAT, "version": VERSION, "generated_at": generated_at, "account": user.public_id}
    yield ("{\n" + "".join(f"{_json_line(key)}: {_json_line(value)},\n" for key, value in head.items())).encode()
    processors = [_json_line(asdict(p)) for p in processor_record(user)]
    yield b'"processors": [\n' + ",\n".join(processors).encode() + b'\n],\n"records": {\n'
    for number, section in enumerate(sections()):
        yield (",\n" if number else "").encode() + f"{_json_line(section.label)}: [\n".encode()
        count = 0
        for row in section.rows(user):
            if section.label == "photos.Photo":
                row["file"] = photo_path(row["public_id"], row["kind"], row["content_type"])
            yield ((",\n" if count else "") + _json_line(row)).encode()
            count += 1
        tally.rows[section.label] = count
        yield b"\n]"
    yield b"\n}}\n"


def about_json(user: User, tally: Tally, generated_at: datetime.datetime) -> bytes:
    """What each part of the export is: category, purpose and retention of every field, and what is withheld."""
    profile = settings.PROFILE
    about = {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": generated_at,
        "service": profile.brand.name,
        "operator": profile.operator.name,
        "privacy_contact": profile.operator.privacy_email,
        "retention_periods": profile.privacy.retention.model_dump(),
        "records": {
            section.label: {
                "what": (section.model.__doc__ or "").strip().splitlines()[0],
                "rows": tally.rows.get(section.label, 0),
                "fields": {
                    name: {"category": e.category, "purpose": e.purpose, "retention": e.retention}
                    for name, e in section.fields.items()
                },
            }
            for section in sections()
        },
        "withheld": withheld_fields(),
        "files": {"count": tally.files, "bytes": tally.file_bytes, "deleted_while_exporting": tally.missing},
    }
    return json.dumps(about, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def readme(user: User, tally: Tally, generated_at: datetime.datetime) -> bytes:
    profile = settings.PROFILE
    days = profile.privacy.retention.export_link_days
    return f"""Your data at {profile.brand.name}
Made on {generated_at:%-d %B %Y at %H:%M} UTC for account {user.public_id}.

account.json   Everything we hold about you, record by record: your account, sign-ins and
               devices, consents, orders, credits, jobs, who received your data (the
               "processors" list and privacy.Transfer), usage events, and this export.
               One record per line; each record type is named as in our data inventory.
about.json     What each field is: its category, why we keep it, and how long. It also
               lists what we hold but do not put here (password hashes, sign-in secrets,
               another person's details) and why.
photos/        Every photo you uploaded (uploads/) and every result made for you
               (results/), as stored, named by their id; {tally.files} file(s) in all.
               account.json says which job made each result.

This archive is deleted {days} day(s) after it was made. Questions: {profile.operator.privacy_email}
""".encode()


def archive(user: User, on_file: Callable[[int, int], None]) -> Iterator[bytes]:
    """The ZIP as a stream of chunks; ``on_file(done, total)`` after each photo, for progress.

    Photos are added one at a time, each only after the previous one is
    written: the ZIP's index (a few hundred bytes a file) is all that grows.
    Already-compressed files are stored as they are; the JSON is deflated.
    """
    generated_at = timezone.now()
    tally = Tally()
    zip_stream = ZipStream(compress_type=ZIP_DEFLATED)
    zip_stream.add(account_json(user, tally, generated_at), "account.json")
    yield from zip_stream.all_files()
    photos = Photo.objects.filter(owner=user).order_by("pk")
    total = photos.count()
    columns = ("pk", "public_id", "kind", "content_type", "file_key")
    for done, (_pk, public_id, kind, content_type, key) in enumerate(
        photos.values_list(*columns).iterator(chunk_size=_BATCH), start=1
    ):
        try:
            chunks = storage.open_chunks(key)
        except FileNotFoundError:
            tally.missing.append(str(public_id))
        else:
            zip_stream.add(_counted(chunks, tally), photo_path(public_id, kind, content_type), compress_type=ZIP_STORED)
            yield from zip_stream.all_files()
            tally.files += 1
        on_file(done, total)
    zip_stream.add(about_json(user, tally, generated_at), "about.json")
    zip_stream.add(readme(user, tally, generated_at), "README.txt")
    yield from zip_stream.finalize()


def _counted(chunks: Iterator[bytes], tally: Tally) -> Iterator[bytes]:
    for chunk in chunks:
        tally.file_bytes += len(chunk)
        yield chunk
