"""The ``darkroom`` command: serve, worker, migrate, check, billing, privacy, engine, models, manage.

``serve`` runs the whole service in the foreground: gunicorn for the web and a
Huey consumer (which also runs the periodic tasks). Ctrl-C asks both to stop
gracefully and waits for them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from darkroom import cli_engine

SETTINGS = "darkroom.settings"


def _setup_django() -> None:
    """Load settings and apps; configuration errors end the command with a plain message."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from darkroom.env import EnvError
    from darkroom.profile import ProfileError

    try:
        import django

        django.setup()
    except (ProfileError, EnvError) as exc:
        sys.exit(f"darkroom: cannot start.\n{exc}")


def _manage(argv: Sequence[str]) -> None:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["darkroom manage", *argv])


def cmd_check(args: argparse.Namespace) -> int:
    from darkroom import checks

    problems = checks.run_all(worker=not getattr(args, "no_worker", False))
    for problem in problems:
        print(f"✗ {problem}")
    if problems:
        print(f"\n{len(problems)} problem(s) found.")
        return 1
    print("✓ profile, environment, database, storage and queue are all usable.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if cmd_check(args) != 0:
        return 1
    python = sys.executable
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", SETTINGS)}
    web = [
        python, "-m", "gunicorn", "darkroom.wsgi:application",
        "--bind", args.bind, "--workers", str(args.web_workers), "--threads", "4",
        "--access-logfile", "-", "--graceful-timeout", "20", "--timeout", "120",
    ]  # fmt: skip
    commands = [web]
    if not args.no_worker:
        commands.append([python, "-m", "darkroom.cli", "worker"])
    # New sessions: the terminal's Ctrl-C reaches only this process, which
    # then stops the children gracefully (SIGTERM) in a known order.
    children = [subprocess.Popen(command, env=env, start_new_session=True) for command in commands]
    host = args.bind if "://" in args.bind else f"http://{args.bind}"
    print(
        f"\nDarkroom is running at {host}/  (Ctrl-C stops it)\n"
        "Create an operator account with:  .venv/bin/darkroom manage createsuperuser\n"
        f"The operator pages are at {host}/operator/\n",
        flush=True,
    )
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(f"darkroom: {child.args!r} exited with {child.returncode}; stopping.", file=sys.stderr)
                stopping, exit_code = True, 1
        time.sleep(0.5)
    print("\nStopping…", flush=True)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 40
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    print("Stopped.")
    return exit_code


def cmd_worker(args: argparse.Namespace) -> int:
    _setup_django()
    from darkroom import checks

    missing = checks.models()
    if missing:
        # A worker without them would fail every engine job, each only after its retries.
        sys.exit("darkroom worker: cannot start.\n" + "\n".join(missing))
    _manage(["run_huey", *args.extra])
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _manage(["migrate", "--noinput", *args.extra])
    # The rate limits' cache table (settings CACHES) when there is no Redis; a no-op otherwise.
    _manage(["createcachetable"])
    return 0


def cmd_billing(args: argparse.Namespace) -> int:
    _manage(["billing", *args.extra])
    return 0


def cmd_privacy(args: argparse.Namespace) -> int:
    _manage(["privacy", *args.extra])
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _manage(args.extra)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="darkroom", description="Run and operate a Darkroom service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web server and a queue worker in the foreground")
    serve.add_argument("--bind", default=os.environ.get("DARKROOM_BIND", "127.0.0.1:8000"))
    serve.add_argument("--web-workers", type=int, default=2)
    serve.add_argument("--no-worker", action="store_true", help="web only (workers run elsewhere)")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run a queue consumer (jobs and periodic tasks); Huey's options pass")
    worker.set_defaults(func=cmd_worker, passthrough=True)
    migrate = sub.add_parser("migrate", help="create or update the database tables")
    migrate.set_defaults(func=cmd_migrate, passthrough=True)
    check = sub.add_parser("check", help="validate profile and environment, and reach every service")
    check.set_defaults(func=cmd_check)
    billing = sub.add_parser(
        "billing", help="billing operations: `billing reconcile` fetches missed Stripe events", add_help=False
    )
    billing.set_defaults(func=cmd_billing, passthrough=True)
    privacy = sub.add_parser(
        "privacy",
        help="privacy operations: `privacy sweep [--dry-run]` applies the retention rules now; "
        "`privacy policy [--record]` shows the policy's facts and whether they changed; "
        "`privacy delete-account EMAIL_OR_PHONE [--now]` and `privacy cancel-deletion EMAIL_OR_PHONE`",
        add_help=False,
    )
    privacy.set_defaults(func=cmd_privacy, passthrough=True)
    cli_engine.add_commands(sub)
    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.set_defaults(func=cmd_manage, passthrough=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
