"""The notification settings as a section of another page (the account page)."""

from __future__ import annotations

from typing import Any

from django import template

from darkroom.accounts.models import User
from darkroom.notify.preferences import form_rows

register = template.Library()


@register.inclusion_tag("notify/_preferences_section.html", takes_context=True)
def notification_preferences(context: template.Context) -> dict[str, Any]:
    """``{% notification_preferences %}``: the form for the signed-in person, coming back to this page once saved."""
    request = context["request"]
    user = request.user
    rows = form_rows(user) if isinstance(user, User) else []
    return {"rows": rows, "next": request.get_full_path(), "csrf_token": context.get("csrf_token")}
