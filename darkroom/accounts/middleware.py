"""Refused account forms answer 400, not 200.

allauth re-renders a form with its errors and status 200, as Django views do.
A refusal (under age, a number we cannot text, a wrong code) should say so in
its status too, for API-minded clients and for tests; the page is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def refused_form_status(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.method == "POST" and response.status_code == 200 and request.path.startswith("/accounts/"):
            form = (getattr(response, "context_data", None) or {}).get("form")
            if form is not None and getattr(form, "is_bound", False) and form.errors:
                response.status_code = 400
        return response

    return middleware
