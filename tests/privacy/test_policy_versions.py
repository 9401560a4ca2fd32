"""Policy versions: the facts make the version; people are told, asked, and emailed once for what matters."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.privacy import policy
from darkroom.privacy.models import PolicyAcceptance, PolicyNotice, PolicyVersion
from darkroom.privacy.policy_tasks import policy_notices_catch_up_task
from darkroom.privacy.policy_versions import (
    NoticesFailed,
    do_accept_policy,
    do_record_policy_version,
    do_send_policy_notices,
    record_after_migrate,
)
from tests.conftest import drain

pytestmark = pytest.mark.django_db

Change = Callable[[Any], None]


@pytest.fixture(autouse=True)
def coach(settings: Any) -> profile.Profile:
    """Every test starts from photo-coach with no vendor keys, its version recorded."""
    settings.PROFILE = profile.load("photo-coach")
    do_record_policy_version()
    return settings.PROFILE  # type: ignore[no-any-return]


def _update(settings: Any, section: str, **changes: Any) -> None:
    current = settings.PROFILE
    settings.PROFILE = current.model_copy(update={section: getattr(current, section).model_copy(update=changes)})


def _retention(settings: Any, **changes: Any) -> None:
    privacy = settings.PROFILE.privacy
    retention = privacy.retention.model_copy(update=changes)
    _update(settings, "privacy", retention=retention)


def _new_provider(settings: Any) -> None:
    settings.ANTHROPIC_API_KEY = "sk-ant-test"  # Pro critique now goes to Anthropic


def _record_new_version(settings: Any, change: Change) -> PolicyVersion:
    before = do_record_policy_version()
    change(settings)
    after = do_record_policy_version()
    assert after.number == before.number + 1
    return after


# --- a version is its facts -------------------------------------------------------------------
def test_it_makes_no_new_version_when_the_same_facts_are_rendered_again(client: Client, alice: User) -> None:
    count = PolicyVersion.objects.count()
    client.get("/privacy/")
    client.force_login(alice)
    client.get("/privacy/")
    client.get("/photos/")
    assert PolicyVersion.objects.count() == count


def test_the_digest_does_not_depend_on_the_order_of_the_facts() -> None:
    facts = policy.policy_facts().as_json()
    assert policy.digest_of(dict(reversed(list(facts.items())))) == policy.digest_of(facts)


def test_it_makes_a_new_version_when_a_fact_changes(settings: Any) -> None:
    version = _record_new_version(settings, lambda s: _update(s, "privacy", data_region="Canada"))
    assert version.facts["data_region"] == "Canada"
    assert version.digest == policy.current_digest()


def test_a_new_wording_of_the_template_is_a_new_version_but_not_material(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = _record_new_version(settings, lambda _s: monkeypatch.setattr(policy, "TEMPLATE_VERSION", 2))
    assert (version.template_version, version.material) == (2, False)


def test_going_back_to_earlier_facts_is_the_earlier_version(settings: Any) -> None:
    first = do_record_policy_version()
    _update(settings, "privacy", data_region="Canada")
    do_record_policy_version()
    settings.PROFILE = profile.load("photo-coach")
    assert do_record_policy_version() == first


def test_migrate_records_the_version_a_deploy_brings(settings: Any) -> None:
    _update(settings, "privacy", data_region="Canada")
    record_after_migrate(apps.get_app_config("privacy"), using="default")
    assert PolicyVersion.objects.filter(digest=policy.current_digest()).exists()


# --- which changes are material ---------------------------------------------------------------
def _contact(s: Any) -> None:
    _update(s, "operator", privacy_email="dpo@asprettyasapicture.com")


def _with_anthropic_and_contact(s: Any) -> None:
    # The contact changes too: back to the fixture's facts would be the fixture's version, not a new one.
    _new_provider(s)
    _contact(s)


def _without_anthropic(s: Any) -> None:
    s.ANTHROPIC_API_KEY = ""


def _phone_login(s: Any) -> None:
    _update(s, "accounts", login_methods=["email", "google", "phone"], sms_countries=["US"])


@pytest.mark.parametrize(
    ("before", "change", "material"),
    [
        pytest.param(None, _contact, False, id="a new contact address is not material"),
        pytest.param(None, lambda s: _update(s, "operator", website="https://app.example"), False, id="website"),
        pytest.param(None, _new_provider, True, id="a new third party is material"),
        pytest.param(_with_anthropic_and_contact, _without_anthropic, False, id="a third party gone is not material"),
        pytest.param(None, _phone_login, True, id="a new kind of data is material"),
        pytest.param(None, lambda s: _retention(s, orders_years=10), True, id="longer retention is material"),
        pytest.param(None, lambda s: _retention(s, orders_years=5), False, id="shorter retention is not"),
        pytest.param(None, lambda s: _retention(s, uploads_days_after_generation=30), False, id="a limit where none"),
        pytest.param(None, lambda s: _retention(s, account_deletion_days=25), False, id="faster deletion is not"),
        pytest.param(None, lambda s: _update(s, "accounts", minimum_age=14), False, id="a higher minimum age is not"),
        pytest.param(
            lambda s: _update(s, "accounts", minimum_age=16),
            lambda s: _update(s, "accounts", minimum_age=13),
            True,
            id="a lower minimum age is material",
        ),
        pytest.param(None, lambda s: _update(s, "privacy", data_region="Canada"), True, id="another region"),
        pytest.param(None, lambda s: _update(s, "operator", name="Other LLC"), True, id="another operator"),
        pytest.param(None, lambda s: setattr(s, "HTTPS", False), False, id="no change when nothing changed"),
    ],
)
def test_it_decides_which_changes_are_material(
    settings: Any, before: Change | None, change: Change, material: bool
) -> None:
    if before is not None:
        before(settings)
    base = do_record_policy_version()
    change(settings)
    version = do_record_policy_version()
    if version == base:
        assert not material  # nothing the page states changed
        return
    assert version.material is material, version.changes
    assert version.changes, "a new version says what changed"


def test_the_version_says_what_changed_in_words(settings: Any) -> None:
    version = _record_new_version(settings, _new_provider)
    assert {"what": "New third party: Anthropic (photo critique) receives your photo", "material": True} in (
        version.changes
    )


# --- the in-app notice ------------------------------------------------------------------------
def test_a_user_on_an_old_version_sees_the_notice(client: Client, alice: User, settings: Any) -> None:
    client.force_login(alice)
    assert "policy-notice" not in client.get("/photos/").content.decode()
    _new_provider(settings)
    page = client.get("/photos/").content.decode()
    assert 'class="policy-notice"' in page
    assert "New third party: Anthropic" in page


def test_accepting_records_the_version_and_the_time(client: Client, alice: User, settings: Any) -> None:
    _new_provider(settings)
    version = do_record_policy_version()
    client.force_login(alice)
    moment = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=1)
    with time_machine.travel(moment, tick=False):
        response = client.post("/privacy/accept/", {"version": version.digest, "next": "/photos/"})
    assert response["Location"] == "/photos/"
    alice.refresh_from_db()
    assert alice.policy_version_accepted == version.digest
    acceptance = PolicyAcceptance.objects.get(user=alice, version=version)
    assert (acceptance.via, acceptance.accepted_at) == ("notice", moment)
    assert "policy-notice" not in client.get("/photos/").content.decode()


def test_accepting_a_version_that_is_no_longer_in_force_records_nothing(
    client: Client, alice: User, settings: Any
) -> None:
    _new_provider(settings)
    shown = do_record_policy_version()
    _contact(settings)  # changes again while alice reads
    client.force_login(alice)
    response = client.post("/privacy/accept/", {"version": shown.digest})
    assert response["Location"] == "/privacy/"
    assert not PolicyAcceptance.objects.filter(user=alice, version=shown).exists()


def test_accepting_goes_nowhere_outside_the_site(client: Client, alice: User, settings: Any) -> None:
    _new_provider(settings)
    client.force_login(alice)
    version = do_record_policy_version()
    response = client.post("/privacy/accept/", {"version": version.digest, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_mallory_cannot_accept_for_anyone_without_signing_in(client: Client) -> None:
    response = client.post("/privacy/accept/", {"version": policy.current_digest()})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not PolicyAcceptance.objects.filter(via="notice").exists()


def test_the_policy_page_shows_an_outdated_user_what_changed(client: Client, alice: User, settings: Any) -> None:
    _new_provider(settings)
    client.force_login(alice)
    page = client.get("/privacy/").content.decode()
    assert 'id="changes"' in page
    assert "New third party: Anthropic" in page


def test_sign_up_records_the_acceptance_of_the_version_in_force(alice: User) -> None:
    version = PolicyVersion.objects.get(digest=policy.current_digest())
    assert PolicyAcceptance.objects.get(user=alice).version == version
    assert alice.policy_version_accepted == version.digest


# --- the email for a material change ----------------------------------------------------------
@pytest.fixture
def people(alice: User, bob: User) -> dict[str, User]:
    phone_only = User.objects.create_user(email=None, phone="+6591234567", phone_verified=True)
    inactive = User.objects.create_user(email="gone@example.com", password="x" * 12, is_active=False)
    return {"alice": alice, "bob": bob, "phone_only": phone_only, "inactive": inactive}


@pytest.mark.django_db(transaction=True)  # the queued task runs as the worker would: on its own transactions
def test_a_material_change_emails_each_user_once(settings: Any, people: dict[str, User], huey_queue: Any) -> None:
    mail.outbox.clear()
    version = _record_new_version(settings, _new_provider)
    assert drain(huey_queue) == 1
    assert sorted(message.to[0] for message in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert "New third party: Anthropic" in mail.outbox[0].body
    assert "https://asprettyasapicture.com/privacy/" in mail.outbox[0].body
    # Run again (a retry, the hourly catch-up): nobody hears twice.
    assert do_send_policy_notices(version.pk) == 0
    policy_notices_catch_up_task.call_local()
    assert len(mail.outbox) == 2
    assert PolicyNotice.objects.filter(version=version, sent_at__isnull=False).count() == 2


def test_it_sends_in_batches(settings: Any, people: dict[str, User]) -> None:
    version = _record_new_version(settings, _new_provider)
    mail.outbox.clear()
    assert do_send_policy_notices(version.pk, batch_size=1) == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_change_that_is_not_material_emails_nobody(settings: Any, people: dict[str, User], huey_queue: Any) -> None:
    mail.outbox.clear()
    version = _record_new_version(settings, _contact)
    assert drain(huey_queue) == 0
    assert do_send_policy_notices(version.pk) == 0
    assert mail.outbox == []


def test_who_already_accepted_the_new_version_is_not_emailed(settings: Any, people: dict[str, User]) -> None:
    version = _record_new_version(settings, _new_provider)
    do_accept_policy(people["bob"], via="notice")
    mail.outbox.clear()
    do_send_policy_notices(version.pk)
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]


class RefusesBob(EmailBackend):
    """The mail server takes every message but bob's."""

    def send_messages(self, messages: Any) -> int:
        if any("bob@example.com" in message.to for message in messages):
            raise ConnectionError("the mail server hung up")
        return super().send_messages(messages)


def test_a_notice_the_mail_server_refused_is_sent_by_the_next_run(settings: Any, people: dict[str, User]) -> None:
    version = _record_new_version(settings, _new_provider)
    mail.outbox.clear()
    settings.EMAIL_BACKEND = f"{__name__}.RefusesBob"
    with pytest.raises(NoticesFailed):
        do_send_policy_notices(version.pk)
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert PolicyNotice.objects.get(user=people["bob"], version=version).sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert do_send_policy_notices(version.pk) == 1
    assert [message.to for message in mail.outbox] == [["alice@example.com"], ["bob@example.com"]]


def test_the_hourly_catch_up_leaves_a_month_old_change_alone(settings: Any, people: dict[str, User]) -> None:
    _record_new_version(settings, _new_provider)
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=31), tick=False):
        assert policy_notices_catch_up_task.call_local() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=29), tick=False):
        assert policy_notices_catch_up_task.call_local() == 2
    assert len(mail.outbox) == 2


# --- darkroom privacy policy ------------------------------------------------------------------
def test_the_command_shows_the_facts_and_that_nothing_changed() -> None:
    out = io.StringIO()
    call_command("privacy", "policy", stdout=out)
    assert "KasmoK LLC" in out.getvalue()
    assert "Unchanged: this is version" in out.getvalue()


def test_the_command_shows_a_change_and_records_it_only_when_asked(settings: Any) -> None:
    count = PolicyVersion.objects.count()
    _new_provider(settings)
    out = io.StringIO()
    call_command("privacy", "policy", stdout=out)
    assert "a material change" in out.getvalue()
    assert "! New third party: Anthropic" in out.getvalue()
    assert PolicyVersion.objects.count() == count
    call_command("privacy", "policy", "--record", stdout=io.StringIO())
    assert PolicyVersion.objects.count() == count + 1
