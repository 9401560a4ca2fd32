"""Pages: the notification centre and its settings; the development outboxes (SMS and email) while DEBUG is on."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from darkroom.accounts.models import User
from darkroom.notify.actions import do_mark_all_read, do_mark_read, do_purge_expired_outbox, unread_count
from darkroom.notify.models import Notification, OutboxEmail, OutboxSms
from darkroom.notify.preferences import do_set_preferences, form_rows, shown_channels

PAGE_SIZE = 30
OUTBOX_EMAIL_BACKEND = "darkroom.notify.email.outbox.EmailBackend"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _thumbnail(notification: Notification) -> str:
    """A signed URL to the job result's thumbnail, issued now, for the page only (never for an email)."""
    from darkroom.photos.views import signed_url_for

    photo = notification.photo
    if photo is None or photo.owner_id != notification.user_id or not photo.thumb_key:
        return ""
    return signed_url_for(photo, "thumb")


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    """Every notification shown in the app, newest first, the unread ones marked."""
    user = _user(request)
    shown = Notification.objects.filter(user=user, shown=True).select_related("photo")
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(notification, _thumbnail(notification)) for notification in page]
    return render(request, "notify/centre.html", {"page": page, "items": items, "unread_count": unread_count(user)})


@login_required
def count(request: HttpRequest) -> HttpResponse:
    """The bell's badge alone, for htmx to refresh without a page load."""
    return render(request, "notify/_bell.html", {"notify_unread": unread_count(_user(request))})


@login_required
@require_POST
def open_notification(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Mark it read and go to what it is about."""
    notification = get_object_or_404(Notification, user=_user(request), public_id=public_id)
    do_mark_read(_user(request), str(public_id))
    target = notification.link
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect("notify:centre")
    return redirect(target)


@login_required
@require_POST
def mark_read(request: HttpRequest, public_id: UUID) -> HttpResponse:
    do_mark_read(_user(request), str(public_id))
    return redirect("notify:centre")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = do_mark_all_read(_user(request))
    if marked:
        messages.success(request, f"{marked} notification{'s' if marked != 1 else ''} marked as read.")
    return redirect("notify:centre")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which notices go where. Only job notices can be turned off; the rest show as always on."""
    user = _user(request)
    if request.method == "POST":
        do_set_preferences(user, set(request.POST.getlist("on")))
        messages.success(request, "Your notification settings were saved.")
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("notify:preferences")
    return render(request, "notify/preferences.html", {"rows": form_rows(user), "channels": shown_channels()})


# --- development outboxes ---------------------------------------------------
def dev_sms(request: HttpRequest) -> HttpResponse:
    # Anyone could read anyone's sign-in code here: only ever with DEBUG and the outbox.
    if not settings.DEBUG or settings.SMS_BACKEND != "outbox":
        raise Http404("The SMS outbox page exists only with DEBUG on and the outbox back-end.")
    do_purge_expired_outbox()
    return render(request, "notify/dev_sms.html", {"messages_sent": OutboxSms.objects.all()[:50]})


def _email_outbox_open() -> None:
    # Anyone could follow anyone's password-reset link here: only with DEBUG and the outbox.
    if not settings.DEBUG or settings.EMAIL_BACKEND != OUTBOX_EMAIL_BACKEND:
        raise Http404("The email outbox page exists only with DEBUG on and the outbox back-end.")


def dev_email(request: HttpRequest) -> HttpResponse:
    _email_outbox_open()
    do_purge_expired_outbox()
    return render(request, "notify/dev_email.html", {"mails": OutboxEmail.objects.all()[:100]})


def dev_email_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    _email_outbox_open()
    mail = get_object_or_404(OutboxEmail, public_id=public_id)
    return render(request, "notify/dev_email_detail.html", {"mail": mail})
