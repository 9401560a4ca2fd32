"""The development SMS page: the outbox, readable without an operator account while DEBUG is on."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from darkroom.notify.actions import do_purge_expired_outbox
from darkroom.notify.models import OutboxSms


def dev_sms(request: HttpRequest) -> HttpResponse:
    # Anyone could read anyone's sign-in code here: only ever with DEBUG and the outbox.
    if not settings.DEBUG or settings.SMS_BACKEND != "outbox":
        raise Http404("The SMS outbox page exists only with DEBUG on and the outbox back-end.")
    do_purge_expired_outbox()
    return render(request, "notify/dev_sms.html", {"messages_sent": OutboxSms.objects.all()[:50]})
