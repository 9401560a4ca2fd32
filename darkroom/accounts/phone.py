"""Phone numbers: parsed to E.164, refused with a reason, and guarded against SMS pumping.

SMS pumping (toll fraud): a script asks a service for codes to numbers whose
carrier pays the script's owner per message received, and the service pays for
every one. Darkroom sends only to the profile's countries, to mobile numbers,
at most once a minute per number and within per-IP and service-wide hourly caps.
"""

from __future__ import annotations

import hashlib
import time

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from phonenumbers import PhoneNumberType

# Numbers that can receive a text (FIXED_LINE_OR_MOBILE: the US and others do not tell them apart).
_TEXTABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
PER_NUMBER_SECONDS = 60
HOUR = 3600


def parse_phone(raw: str) -> str:
    """``raw`` as E.164 (+6591234567), or ValidationError with what the person can do about it."""
    countries = settings.PROFILE.accounts.sms_countries
    allowed = ", ".join(f"{code} (+{phonenumbers.country_code_for_region(code)})" for code in countries)
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter your mobile number with its country code, starting with +, for example +65 9123 4567.",
            code="invalid_phone",
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "That is not a valid phone number: check the digits and the country code.", code="invalid_phone"
        )
    region = phonenumbers.region_code_for_number(number)
    if region not in countries:
        raise ValidationError(
            f"We can only send codes to numbers in {allowed}; +{number.country_code} is not one of them.",
            code="unsupported_country",
        )
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise ValidationError(
            "That number cannot receive text messages (it is not a mobile number). Enter a mobile number.",
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmsLimited(Exception):
    """Sending now would pass a limit; ``retry_after`` seconds until it would not."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _number_key(phone: str) -> str:
    return "sms-number:" + hashlib.sha256(phone.encode()).hexdigest()


def _hour_keys(ip: str) -> tuple[str, str, int]:
    hour = int(time.time()) // HOUR
    until_next = HOUR - int(time.time()) % HOUR
    return f"sms-ip:{ip}:{hour}", f"sms-all:{hour}", until_next


def check_sms_allowed(phone: str, ip: str) -> None:
    """Raise SmsLimited when a text to ``phone`` asked from ``ip`` would pass a limit now."""
    accounts = settings.PROFILE.accounts
    sent_at = cache.get(_number_key(phone))
    if sent_at is not None:
        wait = max(1, PER_NUMBER_SECONDS - int(time.time() - float(sent_at)))
        raise SmsLimited(f"A code was sent to this number less than a minute ago. Wait {wait} seconds.", wait)
    ip_key, all_key, until_next = _hour_keys(ip)
    if (cache.get(ip_key) or 0) >= accounts.sms_per_ip_per_hour:
        raise SmsLimited(
            "Too many codes were asked for from your network in the last hour. Try again later.", until_next
        )
    if (cache.get(all_key) or 0) >= accounts.sms_per_hour:
        raise SmsLimited(
            "We are sending unusually many text messages right now and have paused. Try again later.", until_next
        )


def record_sms(phone: str, ip: str) -> None:
    """Count one text to ``phone`` asked from ``ip``; raise SmsLimited if another just took the slot."""
    check_sms_allowed(phone, ip)
    # add() is atomic: of two requests racing for one number, only one sends.
    if not cache.add(_number_key(phone), time.time(), PER_NUMBER_SECONDS):
        raise SmsLimited("A code was sent to this number less than a minute ago. Wait a minute.", PER_NUMBER_SECONDS)
    ip_key, all_key, _ = _hour_keys(ip)
    for key in (ip_key, all_key):
        cache.add(key, 0, HOUR + 60)
        cache.incr(key)
