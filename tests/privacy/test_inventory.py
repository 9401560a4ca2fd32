from __future__ import annotations

from django.apps import apps

from darkroom.privacy.inventory import INVENTORY, NotPersonal, Personal


def _fields(model: type) -> set[str]:
    meta = model._meta  # type: ignore[attr-defined]
    return {f.name for f in meta.concrete_fields} | {f.name for f in meta.local_many_to_many}


def test_every_field_of_every_model_is_classified() -> None:
    missing = []
    for model in apps.get_models():
        listed = INVENTORY.get(model._meta.label, {})
        missing += [f"{model._meta.label}.{name}" for name in sorted(_fields(model) - set(listed))]
    assert not missing, "classify these fields in darkroom/privacy/inventory.py: " + ", ".join(missing)


def test_the_inventory_names_no_field_that_does_not_exist() -> None:
    stale = []
    for label, fields in INVENTORY.items():
        model = apps.get_model(label)
        stale += [f"{label}.{name}" for name in sorted(set(fields) - _fields(model))]
    assert not stale, "remove these from the inventory: " + ", ".join(stale)


def test_every_entry_is_personal_with_a_purpose_or_says_why_not() -> None:
    for fields in INVENTORY.values():
        for entry in fields.values():
            if isinstance(entry, Personal):
                assert entry.purpose
                assert entry.retention
            else:
                assert isinstance(entry, NotPersonal)
                assert entry.reason


def test_contact_details_and_photos_are_personal() -> None:
    assert isinstance(INVENTORY["accounts.User"]["email"], Personal)
    assert isinstance(INVENTORY["photos.Photo"]["file_key"], Personal)
    assert isinstance(INVENTORY["sessions.Session"]["session_data"], Personal)
