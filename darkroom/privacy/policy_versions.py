"""Versions of the privacy policy: recorded when first seen, accepted by people, announced when material.

When a version is recorded: the first time its facts are asked for — by
``darkroom migrate`` (post_migrate, so a deploy records the version it
brings), by the policy page, by the in-app notice, at sign-up and by
``darkroom privacy policy --record``. Recording is idempotent (the digest is
unique), so whichever comes first wins and the others find the row. A web
process restarted with a new key (a new provider) records the new version
on its first page, migrate or not.

A new version that is material (privacy.policy_changes) queues one email
per person, sent in batches by ``send_policy_notices_task``; everyone who
signs in sees the in-app notice until they accept the version in force.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from functools import partial

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.privacy import policy
from darkroom.privacy.models import PolicyAcceptance, PolicyNotice, PolicyVersion
from darkroom.privacy.policy_changes import Change, compare, is_material

log = logging.getLogger(__name__)

NOTICE_BATCH = 200  # users per query and per mail connection


class NoticesFailed(Exception):
    """Some notices could not be handed to the mail server; a later run sends them (the claims stay)."""


def do_record_policy_version() -> PolicyVersion:
    """The version in force now; recorded, compared with the one before, the first time it is seen."""
    _facts, digest = policy.current()
    found = PolicyVersion.objects.filter(digest=digest).first()
    if found is not None:
        return found
    facts = _facts.as_json()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                # Locks the latest version (PostgreSQL): two processes seeing new facts at once number them in turn.
                previous = PolicyVersion.objects.select_for_update().order_by("-number").first()
                changes = _compare(previous, facts)
                version = PolicyVersion.objects.create(
                    number=previous.number + 1 if previous else 1,
                    digest=digest,
                    template_version=policy.TEMPLATE_VERSION,
                    facts=facts,
                    changes=[asdict(change) for change in changes],
                    material=is_material(changes),
                    published_at=timezone.now(),
                )
                if version.material:
                    transaction.on_commit(partial(_queue_notices, version.pk))
        except IntegrityError:
            # Another process recorded this digest, or took the number, first: use theirs or number again.
            found = PolicyVersion.objects.filter(digest=digest).first()
            if found is not None:
                return found
            continue
        log.info("privacy policy version %d recorded (%s)", version.number, "material" if version.material else "minor")
        return version
    raise RuntimeError("could not record the privacy policy version: the version numbers kept colliding")


def _compare(previous: PolicyVersion | None, facts: dict[str, object]) -> list[Change]:
    if previous is None:
        return []  # the first version: nothing it could change
    return compare(previous.facts, facts, old_template=previous.template_version, new_template=policy.TEMPLATE_VERSION)


def _queue_notices(version_pk: int) -> None:
    from darkroom.privacy.policy_tasks import send_policy_notices_task

    send_policy_notices_task(version_pk)


def needs_acceptance(user: User) -> bool:
    """Whether ``user`` has not accepted the version in force (the notice shows until they do)."""
    return user.policy_version_accepted != policy.current_digest()


def do_accept_policy(user: User, *, via: str, version: PolicyVersion | None = None) -> PolicyAcceptance:
    """Record that ``user`` accepted ``version`` (default: the one in force), now; once per version."""
    version = version or do_record_policy_version()
    now = timezone.now()
    acceptance, _ = PolicyAcceptance.objects.get_or_create(
        user=user, version=version, defaults={"via": via, "accepted_at": now}
    )
    User.objects.filter(pk=user.pk).update(policy_version_accepted=version.digest, updated_at=now)
    user.policy_version_accepted = version.digest
    return acceptance


def changes_for(user: User, version: PolicyVersion) -> list[Change]:
    """What changed for ``user``: from the version they accepted to ``version``; else ``version``'s own changes."""
    accepted = PolicyVersion.objects.filter(digest=user.policy_version_accepted).first()
    if accepted is None:
        return [Change(**change) for change in version.changes]
    if accepted.pk == version.pk:
        return []
    return compare(
        accepted.facts, version.facts, old_template=accepted.template_version, new_template=version.template_version
    )


def _recipients(version: PolicyVersion, after_pk: int, limit: int) -> list[User]:
    accepted_since = PolicyVersion.objects.filter(number__gte=version.number).values("digest")
    announced = PolicyNotice.objects.filter(version=version, sent_at__isnull=False).values("user_id")
    return list(
        User.objects.filter(pk__gt=after_pk, is_active=True, email__isnull=False)
        .exclude(email="")
        .exclude(policy_version_accepted__in=accepted_since)
        .exclude(pk__in=announced)
        .order_by("pk")
        .only("pk", "email", "name")[:limit]
    )


def _notice(version: PolicyVersion, user: User) -> str:
    """Send ``user`` the notice of ``version`` through notify (in the app and by email), now.

    "sent" once the mail server took it; "waiting" while it waits for a
    retry; "dropped" when it never will go (the address bounced before, or
    none is verified). notify's key makes a second call for the same person
    and version send nothing new; a delivery waiting for a retry is tried again.
    """
    from darkroom import notify
    from darkroom.notify.models import Delivery

    context = {
        "material": [change["what"] for change in version.changes if change["material"]],
        "other": [change["what"] for change in version.changes if not change["material"]],
        "published_at": version.published_at,
    }
    notification = notify.send(
        user,
        "policy_changed",
        context,
        key=f"policy:{version.number}:user:{user.pk}",
        link=reverse("web:privacy"),
        now=True,
    )
    email = notification.deliveries.filter(channel="email").first() if notification else None
    if email is None or email.status in (Delivery.Status.FAILED, Delivery.Status.SUPPRESSED, Delivery.Status.CANCELLED):
        return "dropped"
    return "waiting" if email.status in (*Delivery.PENDING, Delivery.Status.SENDING) else "sent"


def do_send_policy_notices(version_pk: int, *, batch_size: int = NOTICE_BATCH) -> int:
    """Email everyone who has not accepted a material version about it, once each; return how many were sent.

    Batches of ``batch_size`` users, one query each, so a million users take
    bounded memory; each email goes through notify (``policy_changed``). Each person's notice row is
    claimed before their email goes and marked sent after; a claim without
    ``sent_at`` (a send that failed, a worker that died) is sent by the next
    run. The task runs one at a time (a queue lock), so no two runs send the
    same claim.
    """
    version = PolicyVersion.objects.get(pk=version_pk)
    if not version.material:
        return 0
    sent = failed = 0
    after = 0
    while batch := _recipients(version, after, batch_size):
        after = batch[-1].pk
        PolicyNotice.objects.bulk_create(
            [PolicyNotice(user=user, version=version) for user in batch], ignore_conflicts=True
        )
        delivered: list[int] = []
        for user in batch:
            outcome = _notice(version, user)
            if outcome == "sent":
                delivered.append(user.pk)
            elif outcome == "waiting":  # the mail server's error: the claim stays, the next run retries
                failed += 1
                log.warning("policy notice to user %s not sent yet", user.pk)
        PolicyNotice.objects.filter(version=version, user_id__in=delivered).update(sent_at=timezone.now())
        sent += len(delivered)
    log.info("policy version %d: %d notice(s) sent, %d failed", version.number, sent, failed)
    if failed:
        raise NoticesFailed(f"{failed} policy notice(s) could not be sent; they are sent on the next run")
    return sent


def latest_material_version() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(material=True).order_by("-number").first()


def record_after_migrate(sender: object, *, using: str = "default", **kwargs: object) -> None:
    """post_migrate: a deploy records the version it brings, and queues its notices, before its first page."""
    from django.db import connections

    if using != "default" or PolicyVersion._meta.db_table not in connections[using].introspection.table_names():
        return  # another database, or migrated back to before the policy tables
    do_record_policy_version()
