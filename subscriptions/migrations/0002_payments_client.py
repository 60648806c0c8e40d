"""The subscription pages' own OAuth client (upstream's "Mozilla subscriptions management",
59cceb6f8c32317c): public, trusted and allowed the fxa-credentials grant, so that the pages
trade the browser's session token for an access token with the subscriptions scope, which the
/v1/oauth/subscriptions routes take (reference subscriptions.md §4). An existing row with this
id is left as an operator may have edited it.
"""
from django.db import migrations

CLIENT_ID = "59cceb6f8c32317c"
SCOPES = "profile https://identity.mozilla.com/account/subscriptions"


def add_client(apps, schema_editor):
    Client = apps.get_model("oauth", "Client")
    Client.objects.get_or_create(client_id=CLIENT_ID, defaults={
        "name": "Mozilla subscriptions management",
        "client_type": "public",
        "authorization_grant_type": "authorization-code",
        "redirect_uris": "",
        "allowed_scopes": SCOPES,
        "trusted": True,
        "can_grant": True,
        "skip_authorization": True,
    })


def remove_client(apps, schema_editor):
    apps.get_model("oauth", "Client").objects.filter(client_id=CLIENT_ID).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("subscriptions", "0001_initial"),
        ("oauth", "0005_hashed_session_refs"),
    ]

    operations = [
        migrations.RunPython(add_client, remove_client),
    ]
