"""Read the facts a rendered policy page states: every element marked ``data-fact``, with its attributes and text.

The template marks each fact it renders (web/privacy.html), so a test checks
what the page says without depending on how it is worded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Fact:
    name: str
    attrs: dict[str, str]
    text: str = ""

    @property
    def key(self) -> str:
        return self.attrs.get("data-key", "")


@dataclass
class PageFacts:
    facts: list[Fact] = field(default_factory=list)

    def all(self, name: str) -> list[Fact]:
        return [fact for fact in self.facts if fact.name == name]

    def text(self, name: str) -> str:
        """The one fact called ``name``, as the page shows it."""
        found = self.all(name)
        assert len(found) == 1, f"the page states {name!r} {len(found)} times"
        return found[0].text

    def keys(self, name: str) -> set[str]:
        return {fact.key for fact in self.all(name)}

    def by_key(self, name: str, key: str) -> Fact:
        found = [fact for fact in self.all(name) if fact.key == key]
        assert len(found) == 1, f"the page states {name!r} {key!r} {len(found)} times; it has {self.keys(name)}"
        return found[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageFacts()
        self.stack: list[Fact | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        fact = Fact(values["data-fact"], values) if "data-fact" in values else None
        if fact is not None:
            self.page.facts.append(fact)
        if tag not in VOID:
            self.stack.append(fact)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for fact in self.stack:
            if fact is not None:
                fact.text += data


def read_facts(html: str) -> PageFacts:
    reader = _Reader()
    reader.feed(html)
    for fact in reader.page.facts:
        fact.text = " ".join(fact.text.split())
    return reader.page


# --- the services the seeds describe, configured as they run in production --------------------
def run_as_selfie_studio(settings: object) -> None:
    """selfie-studio with the vendors seed 000 names: keys set, Stripe, Alibaba SMS, R2, a Supabase database.

    Only the configuration changes; nothing here is contacted (the page is rendered, no job runs).
    """
    from darkroom import profile

    default_db = settings.DATABASES["default"]  # type: ignore[attr-defined]
    _set(
        settings,
        PROFILE=profile.load("selfie-studio"),
        OPENAI_API_KEY="sk-test-openai",
        REPLICATE_API_TOKEN="r8_test",
        KLING_ACCESS_KEY="kling-access",
        KLING_SECRET_KEY="kling-secret",
        STRIPE_SECRET_KEY="sk_test_darkroom",
        STRIPE_WEBHOOK_SECRET="whsec_test",
        SMS_BACKEND="alibaba",
        STORAGES={
            **settings.STORAGES,  # type: ignore[attr-defined]
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "anypic", "endpoint_url": "https://0123abcd.r2.cloudflarestorage.com"},
            },
        },
        # Read for the policy only: the test's own connection keeps its database.
        DATABASES={
            **settings.DATABASES,  # type: ignore[attr-defined]
            "default": {**default_db, "ENGINE": "django.db.backends.postgresql", "HOST": "db.abcdefgh.supabase.co"},
        },
    )


def run_as_photo_coach(settings: object) -> None:
    """photo-coach with the vendors seed 004 names: Replicate and Anthropic keys, Stripe, SES, behind TLS."""
    from darkroom import profile

    _set(
        settings,
        PROFILE=profile.load("photo-coach"),
        REPLICATE_API_TOKEN="r8_test",
        ANTHROPIC_API_KEY="sk-ant-test",
        STRIPE_SECRET_KEY="sk_test_darkroom",
        STRIPE_WEBHOOK_SECRET="whsec_test",
        EMAIL_BACKEND="anymail.backends.amazon_ses.EmailBackend",
        HTTPS=True,
    )


def _set(settings: object, **values: object) -> None:
    for name, value in values.items():
        setattr(settings, name, value)
