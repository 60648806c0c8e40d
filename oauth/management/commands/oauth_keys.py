"""OpenID signing keys: ``generate`` prints a new RSA private key (PEM) for OAUTH_SIGNING_KEY or
OAUTH_SIGNING_KEY_NEXT; ``show`` prints the published JWKS; ``rotate`` and ``retire`` move the
keys through their files (upstream's prepare/activate/retire steps), since the settings read
them from files (``NAME_FILE``) in production."""
import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oauth import crypto, keys

SLOTS = {
    "current": "OAUTH_SIGNING_KEY_FILE",
    "next": "OAUTH_SIGNING_KEY_NEXT_FILE",
    "old": "OAUTH_SIGNING_KEY_OLD_FILE",
}


def write_secret(path, text):
    """Replace ``path`` at once, keeping its mode (600 for a new file; compose's secret files are
    644 for the containers' users): a server starting meanwhile reads the old or the new key,
    never half of one."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as file:
        file.write(text)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


class Command(BaseCommand):
    help = ("Generate an RS256 signing key, show the published keys, rotate the keys (next "
            "signs, the current one stays published as old, a new next is made) or retire the old one.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="Print a new 2048-bit RSA key (PEM).")
        generate.add_argument("--out", help="Write to this file (mode 600) instead of stdout.")
        sub.add_parser("show", help="Print the JWKS this server publishes.")
        rotate = sub.add_parser(
            "rotate", help="The next key becomes the current one, the current one's public key "
            "becomes the old one, and a new next key is written. Restart web and workers after.")
        retire = sub.add_parser(
            "retire", help="Stop publishing the old key, once what it signed has expired "
            "(OAUTH_ACCESS_TOKEN_TTL after a rotation; id_tokens the same). Restart web and workers after.")
        for command, slots in ((rotate, SLOTS), (retire, {"old": SLOTS["old"]})):
            for slot, variable in slots.items():
                command.add_argument(f"--{slot}", default=os.environ.get(variable),
                                     help=f"The {slot} key's file (default: ${variable}).")

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
        elif action == "show":
            self.stdout.write(json.dumps({"keys": keys.public_jwks()}, indent=2))
        elif action == "rotate":
            self.rotate(**self.paths(options, SLOTS))
        else:
            write_secret(self.paths(options, {"old": None})["old"], "")
            self.stdout.write("The old key is no longer published once web and workers restart.")

    def paths(self, options, slots):
        missing = [slot for slot in slots if not options.get(slot)]
        if missing:
            raise CommandError("say where the keys are: " + ", ".join(
                f"--{slot} (or ${SLOTS[slot]})" for slot in missing))
        return {slot: Path(options[slot]) for slot in slots}

    def rotate(self, current, next, old):
        try:
            current_key = crypto.SigningKey(current.read_text())
            next_pem = next.read_text()
            next_key = crypto.SigningKey(next_pem)
        except (OSError, ValueError) as error:
            raise CommandError(
                f"both the current and the next key must be readable RSA keys ({error}); the "
                "next key must have been published (OAUTH_SIGNING_KEY_NEXT) for longer than RPs "
                "cache the JWKS before it signs") from error
        new_next_pem = crypto.generate_signing_key_pem()
        write_secret(old, current_key.public_pem)
        write_secret(current, next_pem)
        write_secret(next, new_next_pem)
        self.stdout.write(
            f"signing: {next_key.kid}; old (still published): {current_key.kid}; "
            f"next: {crypto.SigningKey(new_next_pem).kid}. Restart web and workers to use them.")
