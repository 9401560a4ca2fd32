"""allauth's settings derived from the profile: which ways in the service offers.

``settings.py`` applies ``allauth_settings(PROFILE)``; tests that need another
profile's behaviour apply the same function to that profile (tests/accounts/profiles.py),
so the test and the service cannot disagree about what a profile means.
"""

from __future__ import annotations

from typing import Any

from darkroom.profile import Profile


def allauth_settings(profile: Profile, *, google_client_id: str | None, google_secret: str | None) -> dict[str, Any]:
    methods = set(profile.accounts.login_methods)
    login_methods = {method for method in methods if method in ("email", "phone")} or {"email"}
    if "email" in methods:
        # Phone, where offered beside email, is optional at sign-up and verified by SMS.
        signup_fields = ["email*", *(["phone"] if "phone" in methods else []), "password1*", "password2*"]
    else:
        signup_fields = ["phone*"]
    google_apps = []
    if "google" in methods and google_client_id and google_secret:
        google_apps = [{"client_id": google_client_id, "secret": google_secret, "key": ""}]
    return {
        "PROFILE": profile,
        "ACCOUNT_LOGIN_METHODS": login_methods,
        "ACCOUNT_SIGNUP_FIELDS": signup_fields,
        # Phone accounts have no password: they sign in with a code by SMS.
        "ACCOUNT_LOGIN_BY_CODE_ENABLED": "phone" in methods,
        # Mandatory: an address is only used once its owner proved it is theirs, and
        # "already registered" is then told by email, never on the page (enumeration).
        "ACCOUNT_EMAIL_VERIFICATION": "mandatory" if "email" in methods else "none",
        "SOCIALACCOUNT_PROVIDERS": {
            "google": {
                "APPS": google_apps,
                "SCOPE": ["openid", "email", "profile"],
                "AUTH_PARAMS": {"prompt": "select_account"},
                "OAUTH_PKCE_ENABLED": True,
            }
        },
    }
