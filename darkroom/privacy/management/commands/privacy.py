"""`darkroom privacy sweep [--dry-run]`: apply the retention rules now, or list what they would remove.

`darkroom privacy policy [--record] [--json]`: the privacy policy's facts now, and what changed (policy_report).

`darkroom privacy delete-account EMAIL_OR_PHONE [--now]`: close an account and delete its data when the
profile's period ends (the person asked by email), or at once with --now (an under-age report);
`darkroom privacy cancel-deletion EMAIL_OR_PHONE`: stop a deletion whose purge has not started (erasure_command).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from darkroom.privacy.retention import BATCH_SIZE, SweepFailed, sweep


class Command(BaseCommand):
    help = "Privacy operations. sweep: apply every retention rule now (--dry-run: only list what would go)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sweep", "policy", "delete-account", "cancel-deletion"])
        parser.add_argument("account", nargs="?", help="delete-account, cancel-deletion: the email or phone number")
        parser.add_argument(
            "--now", action="store_true", help="delete-account: an under-age report, everything goes at once"
        )
        parser.add_argument("--dry-run", action="store_true", help="count what would go, change nothing")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help=f"rows per transaction (default {BATCH_SIZE})"
        )
        parser.add_argument("--record", action="store_true", help="policy: record the current facts as a version")
        parser.add_argument("--json", action="store_true", help="policy: print every fact as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] in ("delete-account", "cancel-deletion"):
            from darkroom.privacy.erasure_command import run

            run(self.stdout, options["action"], options["account"], now=options["now"])
            return
        if options["action"] == "policy":
            from darkroom.privacy.policy_report import report

            report(self.stdout, record=options["record"], as_json=options["json"])
            return
        batch_size: int = options["batch_size"]
        if not 1 <= batch_size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        try:
            sweep(dry_run=options["dry_run"], batch_size=batch_size, out=self.stdout)
        except SweepFailed as exc:
            raise CommandError(str(exc)) from exc
