"""Sign-up and sign-in for API clients: /api/v1/auth/…, in the same OpenAPI page as the rest.

Each endpoint drives the allauth form and flow that the matching page drives
(the forms named in ``ACCOUNT_FORMS``, allauth's login stages and code
processes), so the age gate, hashed codes, 3 tries, 10-minute expiry, the
country allow-list, the SMS and sign-in limits hold here because they are the
same code, not a copy. Why not allauth's headless API: docs/accounts.md.

The session is Django's, as on the pages: a cookie, and CSRF on every POST
(GET /v1/auth/session sets the CSRF cookie and returns the token).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any
from uuid import UUID

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import (
    ConfirmLoginCodeForm,
    LoginForm,
    RequestLoginCodeForm,
    SignupForm,
    VerifyPhoneForm,
)
from allauth.account.internal import flows
from allauth.account.internal.stagekit import get_pending_stage
from allauth.account.stages import LoginByCodeStage, PhoneVerificationStage
from allauth.core import ratelimit
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.utils import get_form_class
from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from ninja import Router, Schema, Status
from ninja.utils import check_csrf

from darkroom.accounts.adapter import Refusal
from darkroom.accounts.models import User

router = Router(tags=["auth"])


class Error(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class UserOut(Schema):
    id: UUID
    email: str | None
    phone: str | None
    phone_verified: bool
    name: str


class SessionOut(Schema):
    authenticated: bool
    user: UserOut | None = None
    # What the person must do before they are signed in: "verify_phone" or
    # "login_by_code" (send the code from the text to /v1/auth/code/confirm),
    # "verify_email" (follow the link in the email, then sign in).
    pending: str | None = None
    csrf_token: str | None = None


class SignupIn(Schema):
    email: str | None = None
    phone: str | None = None
    password: str | None = None
    birth_date: datetime.date
    accept_policy: bool


class LoginIn(Schema):
    login: str
    password: str = ""


class CodeRequestIn(Schema):
    phone: str | None = None
    email: str | None = None


class CodeIn(Schema):
    code: str


Answer = Status[SessionOut | Error]
_ANSWERS: dict[int, Any] = {200: SessionOut, 202: SessionOut, 400: Error, 403: Error, 409: Error, 429: Error}


class _Refused(Exception):
    """Ends an endpoint with a JSON refusal (status, reason, optional Retry-After)."""

    def __init__(
        self, status: int, detail: str, retry_after: int | None = None, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.retry_after, self.errors = status, detail, retry_after, errors or {}


def _session(request: HttpRequest) -> SessionOut:
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        out = UserOut(
            id=user.public_id, email=user.email, phone=user.phone, phone_verified=user.phone_verified, name=user.name
        )
        return SessionOut(authenticated=True, user=out)
    stage = get_pending_stage(request)
    return SessionOut(authenticated=False, pending=stage.key if stage else None)


def _outcome(request: HttpRequest) -> Answer:
    """Where the allauth flow left the person: signed in (200), a step to go (202), or stopped (400)."""
    session = _session(request)
    if session.authenticated:
        return Status(200, session)
    if session.pending:
        return Status(202, session)
    return Status(400, Error(detail="You could not be signed in. Check what you entered, or reset your password."))


def _form_refusal(form: forms.Form) -> _Refused:
    errors = {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    first = next(iter(errors.values()), ["Check what you entered."])[0]
    return _Refused(400, first, errors=errors)


def _json(refused: _Refused) -> HttpResponse:
    response = JsonResponse({"detail": refused.detail, "errors": refused.errors}, status=refused.status)
    if refused.retry_after is not None:
        response["Retry-After"] = str(refused.retry_after)
    return response


def auth_endpoint(view: Callable[..., Status[Any]]) -> Callable[..., Status[Any] | HttpResponse]:
    """CSRF as on the pages; allauth's refusals (429 with Retry-After, SMS errors) as JSON."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Status[Any] | HttpResponse:
        if request.method == "POST" and check_csrf(request) is not None:
            return _json(_Refused(403, "CSRF check failed: send the csrftoken cookie and X-CSRFToken."))
        try:
            return view(request, *args, **kwargs)
        except _Refused as refused:
            return _json(refused)
        except ImmediateHttpResponse as immediate:
            response = immediate.response
            if isinstance(response, Refusal):
                retry = response.get("Retry-After")
                return _json(_Refused(response.status_code, response.detail, int(retry) if retry else None))
            return _outcome(request)  # allauth ends some flows early (a stage to go): say where they stand

    return wrapped


def _valid(form: forms.Form) -> None:
    if not form.is_valid():
        raise _form_refusal(form)


def _limit(request: HttpRequest, action: str) -> None:
    # The page views carry allauth's rate_limit(action=…) decorator; the same counters apply here.
    if not ratelimit.consume(request, action=action):
        raise _Refused(429, "Too many attempts from your network. Wait a minute and try again.", retry_after=60)


@router.get("/session", response={200: SessionOut}, auth=None)
def session(request: HttpRequest) -> SessionOut:
    """Who is signed in (if anyone), the step pending, and the CSRF token for the POSTs."""
    out = _session(request)
    out.csrf_token = get_token(request)
    return out


@router.post("/signup", response=_ANSWERS, auth=None)
@auth_endpoint
def signup(request: HttpRequest, body: SignupIn) -> Answer:
    """Create an account, with the fields the service asks for (email + password, or a mobile number).

    202 with ``pending``: a code was texted ("verify_phone") or a link emailed
    ("verify_email"). 400 under the minimum age, without consent, or with a
    number the service cannot text; 429 when a code cannot be sent yet.
    """
    if request.user.is_authenticated:
        raise _Refused(409, "You are already signed in. Sign out first to create another account.")
    if not get_adapter(request).is_open_for_signup(request):
        raise _Refused(403, "This service is not taking new accounts.")
    _limit(request, "signup")
    data = {
        "email": body.email or "",
        "phone": body.phone or "",
        "password1": body.password or "",
        "password2": body.password or "",
        "birth_date": body.birth_date.isoformat(),
        "accept_policy": "on" if body.accept_policy else "",
    }
    form = get_form_class(account_settings.FORMS, "signup", SignupForm)(data=data)
    _valid(form)
    user, response = form.try_save(request)
    if response is None:
        flows.signup.complete_signup(request, user=user)
    return _outcome(request)


@router.post("/login", response=_ANSWERS, auth=None)
@auth_endpoint
def login(request: HttpRequest, body: LoginIn) -> Answer:
    """Sign in with email (or mobile number) and password.

    Where the service signs in by code, a mobile number without a password
    starts that (202, ``login_by_code``). The 6th failure for one account
    within 5 minutes answers 429 with Retry-After.
    """
    if request.user.is_authenticated:
        raise _Refused(409, "You are already signed in.")
    _limit(request, "login")
    form = get_form_class(account_settings.FORMS, "login", LoginForm)(
        data={"login": body.login, "password": body.password}, request=request
    )
    _valid(form)
    form.login(request, redirect_url=None)
    return _outcome(request)


@router.post("/code/request", response=_ANSWERS, auth=None)
@auth_endpoint
def request_code(request: HttpRequest, body: CodeRequestIn) -> Answer:
    """Text (or email) a sign-in code; 202 with ``login_by_code``, also for a number without an account."""
    if not account_settings.LOGIN_BY_CODE_ENABLED:
        raise _Refused(403, "This service does not sign in by code. Sign in with your email and password.")
    if request.user.is_authenticated:
        raise _Refused(409, "You are already signed in.")
    data = {"phone": body.phone or "", "email": body.email or ""}
    form = get_form_class(account_settings.FORMS, "request_login_code", RequestLoginCodeForm)(data=data)
    _valid(form)
    flows.login_by_code.LoginCodeVerificationProcess.initiate(
        request=request,
        user=form._user,
        email=form.cleaned_data.get("email"),
        phone=form.cleaned_data.get("phone"),
    )
    return _outcome(request)


_NO_CODE = "No code is waiting: it expired, was used, or had too many wrong tries. Ask for a new one."


@router.post("/code/confirm", response=_ANSWERS, auth=None)
@auth_endpoint
def confirm_code(request: HttpRequest, body: CodeIn) -> Answer:
    """Send the code from the text: finishes a phone sign-up, a sign-in by code, or a number change.

    3 wrong codes end it (the third answers 400; asking again answers 409), as
    does the 10-minute expiry (409).
    """
    stage = get_pending_stage(request)
    if stage is not None and stage.key == PhoneVerificationStage.key:
        phone_process = flows.phone_verification.PhoneVerificationStageProcess.resume(stage)
        if phone_process is None:
            stage.abort()
            raise _Refused(409, _NO_CODE)
        form = get_form_class(account_settings.FORMS, "verify_phone", VerifyPhoneForm)(
            data={"code": body.code}, code=phone_process.code, phone=phone_process.phone, user=phone_process.user
        )
        if not form.is_valid():
            if not phone_process.record_invalid_attempt():
                stage.abort()
            raise _form_refusal(form)
        phone_process.finish()
        stage.exit()
        return _outcome(request)
    if stage is not None and stage.key == LoginByCodeStage.key:
        code_process = flows.login_by_code.LoginCodeVerificationProcess.resume(stage)
        if code_process is None:
            raise _Refused(409, _NO_CODE)
        form = get_form_class(account_settings.FORMS, "confirm_login_code", ConfirmLoginCodeForm)(
            data={"code": body.code}, code=code_process.code
        )
        if not form.is_valid():
            code_process.record_invalid_attempt()  # ends the code (and the stage) at the last try
            raise _form_refusal(form)
        code_process.finish(None)
        return _outcome(request)
    if request.user.is_authenticated:
        change = flows.phone_verification.ChangePhoneVerificationProcess.resume(request)
        if change is None:
            raise _Refused(409, _NO_CODE)
        form = get_form_class(account_settings.FORMS, "verify_phone", VerifyPhoneForm)(
            data={"code": body.code}, code=change.code, phone=change.phone, user=change.user
        )
        if not form.is_valid():
            change.record_invalid_attempt()  # ends the change at the last try; the old number stays
            raise _form_refusal(form)
        change.finish()
        return _outcome(request)
    raise _Refused(409, _NO_CODE)


@router.post("/logout", response={204: None, 403: Error}, auth=None)
@auth_endpoint
def logout(request: HttpRequest) -> Status[None]:
    """Sign out: the session ends on the server."""
    get_adapter(request).logout(request)
    return Status(204, None)
