"""``manage.py reencrypt_fields [--new-key] [--batch-size N]``: rewrite every encrypted column
under the first key of FIELD_ENCRYPTION_KEYS, so that an older key can then be dropped.

Key rotation: put a new key (``--new-key`` prints one) in front of FIELD_ENCRYPTION_KEYS, restart
every process, run this command, and only then remove the old key.
"""
from django.core.management.base import BaseCommand

from accounts.fields import encrypted_models, new_key, reencrypt


class Command(BaseCommand):
    help = "Rewrite encrypted columns under the newest FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true",
                            help="Print a fresh key for FIELD_ENCRYPTION_KEYS and exit.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        if options["new_key"]:
            self.stdout.write(new_key())
            return
        for model, names in encrypted_models():
            label = model._meta.label

            def progress(seen, total, label=label):
                if options["verbosity"] > 1 or (options["verbosity"] and total > options["batch_size"]):
                    self.stderr.write(f"{label}: {seen} of {total} rows read")

            seen, rewritten = reencrypt(model, names, options["batch_size"], progress)
            self.stdout.write(f"{label} ({', '.join(names)}): {rewritten} of {seen} "
                              "rows rewritten")
