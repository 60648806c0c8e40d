"""Token tables keyed by the SHA-256 of the token id, Hawk keys encrypted (accounts/fields.py).

Every reference to a session (security events, devices) is rewritten to the same SHA-256 in the
same transaction, so issued tokens keep working. Irreversible: a hash cannot be turned back into
the id it was made from.
"""
import hashlib

from django.db import migrations, models
from django.db.migrations.exceptions import IrreversibleError
from django.db.models.functions import Cast

import accounts.fields

TOKEN_MODELS = (
    "SessionToken", "KeyFetchToken", "PasswordChangeToken", "PasswordForgotToken",
    "AccountResetToken",
)


def _hashed(token_id):
    return hashlib.sha256(bytes.fromhex(token_id)).hexdigest()


def irreversible(apps, schema_editor):
    raise IrreversibleError(
        "accounts 0007 keeps only the SHA-256 of token ids, which cannot be turned back into the "
        "ids; roll back by restoring a backup taken before it"
    )


def hash_ids_and_seal_keys(apps, schema_editor):
    device_model = apps.get_model("devices", "Device")
    event_model = apps.get_model("accounts", "SecurityEvent")
    for name in TOKEN_MODELS:
        model = apps.get_model("accounts", name)
        # Cast: the column's text as stored (clear), not through the field's decryption.
        rows = model.objects.annotate(clear_key=Cast("auth_key", models.TextField()))
        for token_id, clear_key in list(rows.values_list("token_id", "clear_key")):
            new_id = _hashed(token_id)
            # The field seals what it writes; the devices' foreign key is checked at commit.
            model.objects.filter(pk=token_id).update(token_id=new_id, auth_key=clear_key)
            if name == "SessionToken":
                device_model.objects.filter(session_token_id=token_id).update(
                    session_token_id=new_id
                )
    referenced = event_model.objects.filter(token_id__regex=r"^[0-9a-f]{64}$").order_by()
    for token_id in list(referenced.values_list("token_id", flat=True).distinct()):
        event_model.objects.filter(token_id=token_id).update(token_id=_hashed(token_id))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0006_customsblock_blocklistentry"),
        ("devices", "0001_initial"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name=name.lower(), name="auth_key", field=accounts.fields.EncryptedTextField()
            )
            for name in TOKEN_MODELS
        ),
        migrations.RunPython(hash_ids_and_seal_keys, irreversible),
    ]
