"""Authorization codes name their session by the SHA-256 of its id, as accounts 0007 keys it.

Reversed, the codes that name a session are deleted: a hash cannot be turned back into the id, and
codes live minutes, so only the sign-ins in flight at the rollback are lost.
"""
import hashlib

from django.db import migrations


def hash_refs(apps, schema_editor):
    model = apps.get_model("oauth", "AuthorizationCode")
    referenced = model.objects.filter(session_token_id__regex=r"^[0-9a-f]{64}$")
    for pk, token_id in list(referenced.values_list("pk", "session_token_id")):
        hashed = hashlib.sha256(bytes.fromhex(token_id)).hexdigest()
        model.objects.filter(pk=pk).update(session_token_id=hashed)


def drop_refs(apps, schema_editor):
    apps.get_model("oauth", "AuthorizationCode").objects.exclude(session_token_id="").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("oauth", "0004_webhooks"),
        ("accounts", "0007_secrets_at_rest"),
    ]

    operations = [
        migrations.RunPython(hash_refs, drop_refs),
    ]
