"""Sign-up additions: the age gate and the policy version accepted."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.privacy.models import PolicyAcceptance
from darkroom.privacy.policy_versions import do_accept_policy


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    """Whole years between ``birth_date`` and ``today``."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


class AgeConfirmationForm(forms.Form):
    """Asks for a date of birth to check the profile's minimum age.

    The date itself is never stored: the account keeps only the fact that the
    check passed, when, and against which minimum. Below the minimum the form
    is invalid, so allauth creates no user at all.
    """

    birth_date = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        help_text="Used only to check your age; it is not stored.",
    )
    accept_policy = forms.BooleanField(label="I have read the privacy policy", required=True)

    def clean_birth_date(self) -> datetime.date:
        birth_date: datetime.date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if birth_date > today:
            raise forms.ValidationError("A date of birth cannot be in the future.")
        minimum = settings.PROFILE.accounts.minimum_age
        if age_on(birth_date, today) < minimum:
            raise forms.ValidationError(
                f"You must be at least {minimum} years old to use {settings.PROFILE.brand.name}."
            )
        return birth_date

    def signup(self, request: HttpRequest, user: User) -> None:
        profile = settings.PROFILE
        user.age_confirmed_at = timezone.now()
        user.minimum_age_confirmed = profile.accounts.minimum_age
        user.save(update_fields=["age_confirmed_at", "minimum_age_confirmed"])
        # The version in force now, recorded with the time (privacy.PolicyAcceptance), sets policy_version_accepted.
        do_accept_policy(user, via=PolicyAcceptance.Via.SIGN_UP)
