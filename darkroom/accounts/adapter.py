"""The one place where Darkroom customises allauth's behaviour.

``AccountAdapter`` carries the phone login (the five phone methods allauth
asks for), the hashing of one-time codes (accounts.codes), the SMS fraud
guard (accounts.phone) and the brute-force answer (429). ``SocialAccountAdapter``
is allauth's separate hook for Google: sign-up there is open only when the
profile offers Google.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from darkroom.accounts import codes
from darkroom.accounts.models import User
from darkroom.accounts.phone import SmsLimited, check_sms_allowed, parse_phone, record_sms
from darkroom.notify.email import is_suppressed
from darkroom.notify.messages import layout_context
from darkroom.notify.sms import CodeMessage, SmsError, backend

logger = logging.getLogger(__name__)


class Refusal(HttpResponse):
    """A refusal page that keeps its reason in words, so the JSON API can answer with the same one."""

    def __init__(self, body: str, *, status: int, detail: str) -> None:
        super().__init__(body, status=status)
        self.detail = detail


def refusal(request: HttpRequest, status: int, title: str, message: str, retry_after: int | None = None) -> Refusal:
    """A page that says what went wrong and what to do, with the right status."""
    body = render_to_string("accounts/refused.html", {"title": title, "message": message}, request=request)
    response = Refusal(body, status=status, detail=message)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _too_many(request: HttpRequest, limited: SmsLimited) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(refusal(request, 429, "Please wait", limited.message, limited.retry_after))


class PhoneField(forms.CharField):
    """A phone number as people type it (spaces, dashes); cleaned to E.164 by the adapter."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["label"] = "Mobile number"  # allauth passes "Phone"; a landline would not do
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "+65 9123 4567", "autocomplete": "tel", "type": "tel"})
        )
        kwargs.setdefault("help_text", "With the country code. We text you a 6-digit code.")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        cleaned: str = super().clean(value)
        if cleaned:
            from allauth.account.adapter import get_adapter

            cleaned = get_adapter().clean_phone(cleaned)
        return cleaned


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no types
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool({"email", "phone"} & set(settings.PROFILE.accounts.login_methods))

    # --- phone numbers ----------------------------------------------------
    def phone_form_field(self, **kwargs: Any) -> PhoneField:
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        """E.164, in an allowed country; refused with 429 when a code could not be sent now.

        Checked here, while the form is validated, so a refused request
        creates nothing (no account, no code).
        """
        e164 = parse_phone(phone)
        try:
            check_sms_allowed(e164, self._ip())
        except SmsLimited as limited:
            raise _too_many(context.request, limited) from None
        return e164

    def set_phone(self, user: AbstractBaseUser, phone: str, verified: bool) -> None:
        assert isinstance(user, User)
        user.phone, user.phone_verified = phone, verified
        if user.pk:
            user.save(update_fields=["phone", "phone_verified", "updated_at"])

    def get_phone(self, user: AbstractBaseUser) -> tuple[str, bool] | None:
        assert isinstance(user, User)
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user: AbstractBaseUser, phone: str) -> None:
        assert isinstance(user, User)
        user.phone, user.phone_verified = phone, True
        user.save(update_fields=["phone", "phone_verified", "updated_at"])

    def get_user_by_phone(self, phone: str) -> User | None:
        return User.objects.filter(phone=phone, is_active=True).first()

    # --- one-time codes ---------------------------------------------------
    def generate_phone_verification_code(self, *, user: AbstractBaseUser, phone: str) -> str:
        return codes.issue(context.request)

    def generate_login_code(self) -> str:
        return codes.issue(context.request)

    def send_verification_code_sms(self, user: AbstractBaseUser, phone: str, code: str, **kwargs: Any) -> None:
        clear = codes.reveal(context.request, code)
        if clear is None:  # pragma: no cover - every code allauth sends was issued in this request
            raise RuntimeError("asked to send a code this request did not issue")
        try:
            record_sms(phone, self._ip())
        except SmsLimited as limited:
            raise _too_many(context.request, limited) from None
        minutes = account_settings.PHONE_VERIFICATION_TIMEOUT // 60
        message = CodeMessage(
            to=phone,
            code=clear,
            code_digest=code,
            text=f"{clear} is your {settings.PROFILE.brand.name} code. It expires in {minutes} minutes. "
            "Do not share it with anyone.",
            expires_at=timezone.now() + datetime.timedelta(seconds=account_settings.PHONE_VERIFICATION_TIMEOUT),
        )
        try:
            backend().send_code(message)
        except SmsError as exc:
            logger.warning("SMS to %s failed (%s): %s", phone, "permanent" if exc.permanent else "transient", exc)
            if exc.permanent:
                raise ImmediateHttpResponse(
                    refusal(
                        context.request,
                        400,
                        "We could not text that number",
                        "The carrier refused a message to this number. Check it, or use another mobile number.",
                    )
                ) from exc
            raise ImmediateHttpResponse(
                refusal(
                    context.request,
                    503,
                    "Text messages are delayed",
                    "Our text message provider is busy. Try again in a minute.",
                    retry_after=60,
                )
            ) from exc

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        # Nothing is sent to a number without an account (no cost, no pumping), but
        # the number's limits count as for a real send: a second request within a
        # minute answers 429 either way, so the limit does not tell who has an account.
        self._count_unsent(phone)

    def send_account_already_exists_sms(self, phone: str) -> None:
        self._count_unsent(phone)

    def _count_unsent(self, phone: str) -> None:
        try:
            record_sms(phone, self._ip())
        except SmsLimited as limited:
            raise _too_many(context.request, limited) from None

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # Sign-in codes by email are issued like SMS codes (as a digest); put the clear code back for the mail.
        code = context.get("code")
        if isinstance(code, str):
            clear = codes.reveal(self._request(), code)
            if clear is not None:
                context = {**context, "code": clear}
        if is_suppressed(email):
            # SES reported a hard bounce or a complaint for it (notify.email.webhooks): sending on would
            # harm the service's standing with every mailbox provider. The operator can lift it.
            logger.info("account email %s not sent: the address is suppressed", template_prefix.rsplit("/", 1)[-1])
            return
        user = context.get("user")
        name = user.name if isinstance(user, User) else ""
        # The brand, operator and footer of notify's email layout (templates under web/templates/account/email/).
        super().send_mail(template_prefix, email, {**layout_context(name=name), **context})

    def format_email_subject(self, subject: str) -> str:
        return f"{settings.PROFILE.brand.name}: {subject}"

    def send_account_already_exists_mail(self, email: str) -> None:
        """Tell the owner of ``email`` that someone signed up with it; say how to add Google to it.

        allauth's own mail only offers a password reset; a person who came by Google
        must be told to sign in with their password and connect Google from there.
        """
        request = self._request()
        ctx = {
            "brand": settings.PROFILE.brand.name,
            "login_url": request.build_absolute_uri(reverse("account_login")),
            "account_url": request.build_absolute_uri(reverse("accounts:account")),
            "password_reset_url": request.build_absolute_uri(reverse("account_reset_password")),
            "offers_google": "google" in settings.PROFILE.accounts.login_methods,
        }
        self.send_mail("accounts/email/account_already_exists", email, ctx)

    # --- brute force ------------------------------------------------------
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """The 6th failed sign-in for one account within 5 minutes answers 429.

        allauth counts failures per login key (an unknown email counts like a
        known one, so the answer does not reveal which exist) and per IP.
        """
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError:
            raise ImmediateHttpResponse(
                refusal(
                    request,
                    429,
                    "Too many failed sign-ins",
                    "Too many failed sign-ins for this account. Wait 5 minutes, or reset your password.",
                    retry_after=300,
                )
            ) from None

    def _request(self) -> HttpRequest:
        request: HttpRequest = self.request or context.request
        return request

    def _ip(self) -> str:
        ip: str = self.get_client_ip(self._request())
        return ip


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return "google" in settings.PROFILE.accounts.login_methods
