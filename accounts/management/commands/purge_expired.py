"""``manage.py purge_expired [--dry-run] [--batch-size N]``: delete what has expired or aged out.

Each kind below is the queryset its own app defines as expired (the same ones the hourly Celery
beat jobs prune), or the lifetime its authentication class enforces when the token is presented;
security events go after SECURITY_EVENT_RETENTION_DAYS. Rows go in batches, so a large backlog
neither holds one long transaction nor locks a table while the server runs.
"""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import ports
from accounts.models import (
    AccountResetToken,
    CustomsBlock,
    PasswordChangeToken,
    PasswordForgotToken,
    SecurityEvent,
    SessionToken,
    now_ms,
)
from accounts.services import unblock
from oauth import tokens as oauth_tokens

DAY_MS = 24 * 3600 * 1000


def _created_before(model, lifetime_seconds):
    return model.objects.filter(created_at__lt=now_ms() - lifetime_seconds * 1000)


def purgeable():
    """(what, queryset) of every kind of row that has expired or aged out, as of now."""
    kinds = [
        ("sessionTokens without a device (SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME)",
         SessionToken.objects.expired()),
        ("passwordChangeTokens", _created_before(PasswordChangeToken,
                                                 settings.PASSWORD_CHANGE_TOKEN_LIFETIME)),
        ("passwordForgotTokens", _created_before(PasswordForgotToken,
                                                 settings.PASSWORD_FORGOT_TOKEN_LIFETIME)),
        ("accountResetTokens", _created_before(AccountResetToken,
                                               settings.ACCOUNT_RESET_TOKEN_LIFETIME)),
        ("unblock codes", unblock.expired_codes()),
        ("OAuth authorization codes", oauth_tokens.expired_codes()),
        ("OAuth access tokens", oauth_tokens.expired_access_tokens()),
        ("device commands (DEVICE_COMMAND_MAX_TTL)", ports.expired_device_commands()),
        ("customs block records", CustomsBlock.objects.filter(expires_at__lt=now_ms())),
    ]
    if settings.SECURITY_EVENT_RETENTION_DAYS:
        kinds.append((
            f"security events older than {settings.SECURITY_EVENT_RETENTION_DAYS} days "
            "(SECURITY_EVENT_RETENTION_DAYS)",
            SecurityEvent.objects.filter(
                created_at__lt=now_ms() - settings.SECURITY_EVENT_RETENTION_DAYS * DAY_MS),
        ))
    return kinds


def purge(queryset, batch_size):
    """Delete ``queryset`` ``batch_size`` rows at a time; yields the count of each batch. The
    condition is applied again on delete: a row that stopped matching meanwhile (a session that
    just got its device) stays."""
    while True:
        keys = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not keys:
            return
        queryset.filter(pk__in=keys).delete()
        yield len(keys)


class Command(BaseCommand):
    help = (
        "Delete expired tokens and codes (sessionTokens without a device past their lifetime, "
        "password change/forgot and account reset tokens, unblock codes, OAuth codes and access "
        "tokens, device commands, customs block records) and security events older than "
        "SECURITY_EVENT_RETENTION_DAYS. Run it daily (Celery beat does). --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be deleted; delete nothing.")
        parser.add_argument("--batch-size", type=int, default=1000,
                            help="Rows deleted per statement (default 1000).")

    def handle(self, *args, dry_run, batch_size, verbosity, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        say = self.stdout.write if verbosity else (lambda line: None)
        total = 0
        for what, queryset in purgeable():
            count = queryset.count()
            if dry_run or not count:
                total += count
                say(f"{what}: {count} {'to delete' if dry_run else 'deleted'}")
                continue
            done = 0
            for deleted in purge(queryset, batch_size):
                done += deleted
                if done < count:  # a long purge shows how far it got
                    say(f"{what}: {done}/{count}…")
            total += done
            say(f"{what}: {done} deleted")
        verb = "would be deleted (dry run)" if dry_run else "deleted"
        say(self.style.SUCCESS(f"{total} row(s) {verb}."))
