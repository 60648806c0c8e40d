"""Firefox's own public OAuth clients, so that Firefox desktop, Fenix, Firefox for iOS and
Thunderbird can sign in out of the box (oauth.md §2 "Known production client ids",
content-server.md §4–§6). Their client ids are compiled into the apps, so they must be these.

Public (no secret, PKCE), trusted (first-party: no consent screen) and allowed the
fxa-credentials grant, like upstream's records. ``allowed_scopes`` lists the URL scopes each may
ask for; short scopes (``profile``) come with trust. The redirect URIs are the WebChannel URNs
the apps use, and the pairing URN where the app can be a pairing authority. Existing rows with
these ids are left as an operator may have edited them.
"""
from django.db import migrations

WEBCHANNEL = "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel"
PAIRING = "urn:ietf:wg:oauth:2.0:oob:pair-auth-webchannel"
OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
SESSION = "https://identity.mozilla.com/tokens/session"
TELEMETRY = "https://identity.mozilla.com/ids/ecosystem_telemetry"
RELAY = "https://identity.mozilla.com/apps/relay"
THUNDERBIRD_SYNC = "https://identity.thunderbird.net/apps/sync"

FIRST_PARTY_CLIENTS = [
    ("5882386c6d801776", "Firefox", [WEBCHANNEL, PAIRING], [OLDSYNC, SESSION, TELEMETRY, RELAY]),
    ("a2270f727f45f648", "Firefox for Android", [WEBCHANNEL, PAIRING],
     [OLDSYNC, SESSION, TELEMETRY, RELAY]),
    ("1b1a3e44c54fbb58", "Firefox for iOS", [WEBCHANNEL, PAIRING],
     [OLDSYNC, SESSION, TELEMETRY, RELAY]),
    ("8269bacd7bbc7f80", "Thunderbird", [WEBCHANNEL], [THUNDERBIRD_SYNC, SESSION]),
]


def add_clients(apps, schema_editor):
    Client = apps.get_model("oauth", "Client")
    for client_id, name, redirect_uris, scopes in FIRST_PARTY_CLIENTS:
        Client.objects.get_or_create(client_id=client_id, defaults={
            "name": name,
            "client_type": "public",
            "authorization_grant_type": "authorization-code",
            "redirect_uris": " ".join(redirect_uris),
            "allowed_scopes": " ".join(scopes),
            "trusted": True,
            "can_grant": True,
            "skip_authorization": True,
        })


def remove_clients(apps, schema_editor):
    Client = apps.get_model("oauth", "Client")
    Client.objects.filter(client_id__in=[entry[0] for entry in FIRST_PARTY_CLIENTS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("oauth", "0002_client_rotation_jwt_disabled"),
    ]

    operations = [
        migrations.RunPython(add_clients, remove_clients),
    ]
