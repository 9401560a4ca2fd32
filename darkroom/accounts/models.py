"""People who use the service, and the API tokens they issue themselves."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager["User"]):
    """Users are identified by email; there is no username."""

    use_in_migrations = True

    def _create(self, email: str | None, password: str | None, **extra: Any) -> User:
        if not email and not extra.get("phone"):
            raise ValueError("An email address or a phone number is required")
        user = self.model(email=self.normalize_email(email) if email else None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person with an account.

    Signs in by email + password, by phone + SMS code, or with Google, as the
    profile allows; so either ``email`` or ``phone`` may be missing (NULL, never
    "", which would collide with the unique constraint).
    """

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", unique=True, null=True, blank=True)  # type: ignore[assignment]
    # E.164 (+6591234567), parsed and checked by accounts.phone before it lands here.
    phone = models.CharField("phone number", max_length=16, unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(default=False)
    name = models.CharField(max_length=150, blank=True)
    # What the person confirmed at sign-up: we keep *that* they were old
    # enough and when, never their date of birth (data minimisation).
    age_confirmed_at = models.DateTimeField(null=True, blank=True)
    minimum_age_confirmed = models.PositiveSmallIntegerField(null=True, blank=True)
    policy_version_accepted = models.CharField(max_length=40, blank=True)
    # Usage events are recorded unless the person says no (selfie-studio §5 "Opt out of certain
    # data collection"): while set, privacy.usage.record_usage writes nothing for them.
    usage_opt_out = models.BooleanField(default=False)
    # When the person (or an operator) asked for the account to be deleted. From that moment
    # is_active is False (no sign-in, no API token), and privacy.erasure purges everything once
    # the profile's account_deletion_days end; the row itself goes last.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.email or self.phone or f"user {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # allauth writes "" for a missing email; NULL keeps "unique" meaning "one account per address".
        self.email = self.email or None
        self.phone = self.phone or None
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A bearer token for API clients. Only its SHA-256 digest is stored.

    Tokens are 256 random bits, so a fast hash is enough: there is nothing to
    brute-force, unlike a password.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token in a list.")
    digest = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
