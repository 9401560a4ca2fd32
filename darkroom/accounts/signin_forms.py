"""allauth's sign-in forms as Darkroom needs them (named in ACCOUNT_FORMS).

A module of its own: allauth imports ``accounts.forms`` (the sign-up
additions) while building its own forms, so that one cannot import allauth's.
"""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account import forms as allauth_forms
from django import forms

from darkroom.accounts import codes
from darkroom.accounts.actions import do_end_code


def _hashed_code_form(base: type[forms.Form]) -> type[forms.Form]:
    """``base`` (an allauth code-entry form) comparing the HMAC of the input, not the input.

    allauth holds only the code's HMAC (accounts.codes), so the input is hashed
    the same way before allauth's own constant-time comparison runs. A wrong
    try is counted; when the code ends, what Darkroom holds for it goes too.
    """

    class HashedCodeForm(base):  # type: ignore[valid-type,misc]
        def clean_code(self) -> str:
            raw = self.cleaned_data.get("code", "")
            expected = self.expected_code or ""
            self.cleaned_data["code"] = codes.digest(raw)
            try:
                result: str = super().clean_code()
            except forms.ValidationError:
                tries = codes.record_wrong_try(expected, timeout=account_settings.PHONE_VERIFICATION_TIMEOUT)
                if tries >= account_settings.PHONE_VERIFICATION_MAX_ATTEMPTS:
                    do_end_code(expected, user=getattr(self, "user", None))
                raise
            do_end_code(expected, user=None)
            return result

    HashedCodeForm.__name__ = base.__name__
    HashedCodeForm.__qualname__ = base.__qualname__
    return HashedCodeForm


ConfirmLoginCodeForm = _hashed_code_form(allauth_forms.ConfirmLoginCodeForm)
VerifyPhoneForm = _hashed_code_form(allauth_forms.VerifyPhoneForm)


class LoginForm(allauth_forms.LoginForm):  # type: ignore[misc]
    """allauth's sign-in form, with the login field named for what it takes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        methods = set(account_settings.LOGIN_METHODS)
        if methods == {"email", "phone"}:
            self.fields["login"].label = "Email or mobile number"
            self.fields["login"].widget.attrs["placeholder"] = "you@example.com or +65 9123 4567"
