"""OpenID signing keys: ``generate`` prints a new RSA private key (PEM) for OAUTH_SIGNING_KEY or
OAUTH_SIGNING_KEY_NEXT; ``show`` prints the published JWKS."""
import json
from pathlib import Path

from django.core.management.base import BaseCommand

from oauth import crypto, keys


class Command(BaseCommand):
    help = "Generate an RS256 signing key, or show the published keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="Print a new 2048-bit RSA key (PEM).")
        generate.add_argument("--out", help="Write to this file (mode 600) instead of stdout.")
        sub.add_parser("show", help="Print the JWKS this server publishes.")

    def handle(self, *args, action, **options):
        if action == "generate":
            pem = crypto.generate_signing_key_pem()
            if options.get("out"):
                path = Path(options["out"])
                path.touch(mode=0o600)
                path.write_text(pem)
                kid = crypto.SigningKey(pem).kid
                self.stderr.write(f"wrote {path} (kid {kid})")
            else:
                self.stdout.write(pem, ending="")
        else:
            self.stdout.write(json.dumps({"keys": keys.public_jwks()}, indent=2))
