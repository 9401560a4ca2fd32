"""`darkroom privacy policy [--record] [--json]`: the policy's facts as configured now, and whether they changed.

Run it with a new configuration before deploying it to see what the policy
page will say and whether the change is material (then everyone with an
email address is told by email). Nothing is written without ``--record``.
"""

from __future__ import annotations

import json
from typing import Protocol

from darkroom.privacy import policy
from darkroom.privacy.models import PolicyVersion
from darkroom.privacy.policy_changes import compare, is_material
from darkroom.privacy.policy_versions import do_record_policy_version


class Writer(Protocol):
    """Where the report goes: a management command's stdout, or any text stream."""

    def write(self, text: str, /) -> object: ...


def _summary(facts: policy.PolicyFacts, out: Writer) -> None:
    out.write(f"{facts.service}, operated by {facts.operator} ({facts.operator_kind}); contact {facts.contact_email}\n")
    out.write(
        f"Data region: {facts.data_region}. Minimum age: {facts.minimum_age}. Sign-in: {', '.join(facts.sign_in)}\n"
    )
    out.write("Collected:\n")
    for item in facts.collected:
        out.write(f"  - {item.what} ({item.category}): {item.why}\n")
    out.write("Third parties:\n" if facts.third_parties else "Third parties: none\n")
    for party in facts.third_parties:
        out.write(f"  - {party.name}: {'; '.join(use.words for use in party.uses)}\n")
    out.write("Kept:\n")
    for period in facts.retention:
        out.write(f"  - {period.what}: {period.words}\n")
    rights = ", ".join(f"{right.key} ({right.url or 'by email'})" for right in facts.rights)
    out.write(f"Rights: {rights}\n")
    out.write(f"In the browser: {', '.join(f'{item.name} ({item.kind})' for item in facts.browser)}\n")


def report(out: Writer, *, record: bool = False, as_json: bool = False) -> PolicyVersion | None:
    """Write the current facts and how they compare with the latest recorded version; record them if asked."""
    facts, digest = policy.current()
    if as_json:
        out.write(json.dumps(facts.as_json(), indent=2) + "\n")
    else:
        _summary(facts, out)
    known = PolicyVersion.objects.filter(digest=digest).first()
    if known is not None:
        out.write(
            f"\nUnchanged: this is version {known.number}, in effect since {known.published_at:%Y-%m-%d %H:%M} UTC.\n"
        )
        return known
    latest = PolicyVersion.objects.order_by("-number").first()
    if latest is None:
        out.write("\nNo version is recorded yet: these facts will be version 1.\n")
    else:
        changes = compare(
            latest.facts, facts.as_json(), old_template=latest.template_version, new_template=policy.TEMPLATE_VERSION
        )
        kind = "a material change: everyone with an email address is told" if is_material(changes) else "not material"
        out.write(f"\nChanged since version {latest.number}, {kind}:\n")
        for change in changes:
            out.write(f"  {'!' if change.material else '-'} {change.what}\n")
    if not record:
        out.write("Nothing recorded. `darkroom privacy policy --record` records it (so does the first page view).\n")
        return None
    version = do_record_policy_version()
    out.write(f"Recorded as version {version.number}.\n")
    return version
