"""Manage OAuth clients: create, update, list, rotate-secret, disable, enable, delete.

``create --json`` prints exactly one JSON object on stdout: ``{"client_id", "client_secret"}``
(no secret for public clients), with ``webhook_url`` when one is registered. The secret is shown
once; only its SHA-256 is stored. ``update`` changes the webhook registration (events.md §3).
"""
import argparse
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oauth import crypto
from oauth import scopes as scope_lib
from oauth.models import WEBHOOK_EVENTS, Client, validate_client_url, validate_webhook_url


def _webhook_arguments(parser):
    parser.add_argument("--webhook-url", help="Where account events are POSTed (https, or http "
                        "on a loopback host); an empty value removes it.")
    parser.add_argument("--resource-server", action=argparse.BooleanOptionalAction, default=None,
                        help="Receive the events of every account, not only of its users.")
    parser.add_argument("--webhook-events", nargs="*", choices=WEBHOOK_EVENTS, default=None,
                        help="Only these events (none given: all of them).")


class Command(BaseCommand):
    help = "Create, list, rotate the secret of, or delete OAuth clients."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register a client.")
        create.add_argument("--name", required=True)
        create.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris",
                            help="Exact redirect URI (repeatable).")
        create.add_argument("--scope", default="", help="Space-separated scopes it may request.")
        create.add_argument("--public", action="store_true", help="Public client (PKCE, no secret).")
        create.add_argument("--trusted", action="store_true")
        create.add_argument("--can-grant", action="store_true")
        create.add_argument("--ppid", action="store_true", help="Pairwise subject identifiers.")
        create.add_argument("--ppid-rotating", action="store_true",
                            help="With --ppid: the pairwise sub changes every rotation period.")
        create.add_argument("--jwt-access-tokens", action="store_true",
                            help="Issue RS256 JWT access tokens (typ at+JWT) instead of opaque ones.")
        create.add_argument("--image-uri", default="")
        _webhook_arguments(create)
        create.add_argument("--json", action="store_true")
        update = sub.add_parser("update", help="Change a client's webhook registration.")
        update.add_argument("client_id")
        _webhook_arguments(update)
        update.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="List clients.")
        listing.add_argument("--json", action="store_true")
        rotate = sub.add_parser("rotate-secret", help="New secret; the old one stays valid as previous.")
        rotate.add_argument("client_id")
        rotate.add_argument("--json", action="store_true")
        for action, text in (("disable", "Refuse new authorizations and token grants (503)."),
                             ("enable", "Undo disable.")):
            sub.add_parser(action, help=text).add_argument("client_id")
        delete = sub.add_parser("delete", help="Delete a client and all its tokens.")
        delete.add_argument("client_id")

    def handle(self, *args, action, **options):
        return getattr(self, "do_" + action.replace("-", "_"))(**options)

    def _get(self, client_id):
        client = Client.objects.filter(client_id=client_id.lower()).first()
        if client is None:
            raise CommandError(f"no client {client_id}")
        return client

    def _out(self, as_json, data, text):
        self.stdout.write(json.dumps(data) if as_json else text)

    def do_create(self, name, redirect_uris, scope, public, trusted, can_grant, ppid, ppid_rotating,
                  jwt_access_tokens, image_uri, webhook_url, resource_server, webhook_events, json,
                  **options):
        webhook_url = webhook_url or ""
        try:
            for uri in redirect_uris:
                validate_client_url(uri)
            if webhook_url:
                validate_webhook_url(webhook_url)
            scope_lib.parse(scope)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except scope_lib.InvalidScope as error:
            raise CommandError(f"invalid scope: {error}") from None
        client = Client(
            name=name, redirect_uris=" ".join(redirect_uris), allowed_scopes=scope,
            client_type=Client.CLIENT_PUBLIC if public else Client.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE, trusted=trusted,
            can_grant=can_grant, ppid_enabled=ppid, ppid_rotating=ppid and ppid_rotating,
            jwt_access_tokens=jwt_access_tokens, image_uri=image_uri, webhook_url=webhook_url,
            is_resource_server=bool(resource_server), webhook_events=" ".join(webhook_events or []),
            hash_client_secret=True,
        )
        result = {"client_id": client.client_id}
        if not public:
            secret = crypto.random_hex()
            client.set_secret(secret)
            result["client_secret"] = secret
        if webhook_url:
            result["webhook_url"] = webhook_url
        client.save()
        text = "\n".join(f"{key}: {value}" for key, value in result.items())
        self._out(json, result, text)

    def do_update(self, client_id, webhook_url, resource_server, webhook_events, json, **options):
        client = self._get(client_id)
        if webhook_url is not None:
            if webhook_url:
                try:
                    validate_webhook_url(webhook_url)
                except ValidationError as error:
                    raise CommandError("; ".join(error.messages)) from None
            client.webhook_url = webhook_url
        if resource_server is not None:
            client.is_resource_server = resource_server
        if webhook_events is not None:
            client.webhook_events = " ".join(webhook_events)
        client.save(update_fields=["webhook_url", "is_resource_server", "webhook_events", "updated"])
        result = {"client_id": client.client_id, "webhook_url": client.webhook_url,
                  "resource_server": client.is_resource_server,
                  "webhook_events": client.webhook_event_list}
        self._out(json, result, "\n".join(f"{key}: {value}" for key, value in result.items()))

    def do_list(self, json, **options):
        rows = [
            {"client_id": c.client_id, "name": c.name, "public": c.public_client,
             "trusted": c.trusted, "can_grant": c.can_grant, "disabled": c.disabled,
             "webhook_url": c.webhook_url, "resource_server": c.is_resource_server,
             "redirect_uris": c.redirect_uri_list,
             "scope": c.allowed_scopes}
            for c in Client.objects.order_by("name")
        ]
        text = "\n".join(
            f"{r['client_id']}  {r['name']}  {'public' if r['public'] else 'confidential'}"
            f"{'  trusted' if r['trusted'] else ''}  {' '.join(r['redirect_uris'])}" for r in rows
        )
        self._out(json, rows, text)

    def do_rotate_secret(self, client_id, json, **options):
        client = self._get(client_id)
        if client.public_client:
            raise CommandError("public clients have no secret")
        secret = crypto.random_hex()
        client.set_secret(secret)
        client.save(update_fields=["client_secret", "client_secret_previous", "updated"])
        result = {"client_id": client.client_id, "client_secret": secret}
        self._out(json, result, f"client_id: {client.client_id}\nclient_secret: {secret}")

    def _set_disabled(self, client_id, disabled):
        client = self._get(client_id)
        client.disabled = disabled
        client.save(update_fields=["disabled", "updated"])
        self.stderr.write(f"{'disabled' if disabled else 'enabled'} {client_id}")

    def do_disable(self, client_id, **options):
        self._set_disabled(client_id, True)

    def do_enable(self, client_id, **options):
        self._set_disabled(client_id, False)

    def do_delete(self, client_id, **options):
        self._get(client_id).delete()
        self.stderr.write(f"deleted {client_id}")
