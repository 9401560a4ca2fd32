"""Erasing an account pseudonymises its billing records instead of losing them (or leaking contact)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from darkroom.accounts.models import User
from darkroom.billing.actions import do_pseudonymise


@receiver(pre_delete, sender=User, dispatch_uid="billing_pseudonymise_on_delete")
def pseudonymise_before_delete(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Orders must outlive the account (tax law) but not keep its email; the
    # foreign keys are SET_NULL, this clears the rest first.
    do_pseudonymise(instance)
