"""The mailed codes encrypted at rest (accounts/fields.py): the sign-up link code and HOTP secret
(``email_code``) and the sign-in link code (``token_verification_id``). Reversible: going back
writes them out in clear again."""
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Cast

import accounts.fields

COLUMNS = (
    ("Account", "email_code"), ("Email", "email_code"),
    ("SessionToken", "token_verification_id"), ("KeyFetchToken", "token_verification_id"),
)


def seal(apps, schema_editor):
    for name, field in COLUMNS:
        model = apps.get_model("accounts", name)
        # Cast: the column's text as stored (clear), not through the field's decryption.
        rows = model.objects.exclude(**{f"{field}__isnull": True}).annotate(
            clear=Cast(field, models.TextField()))
        for pk, clear in list(rows.values_list("pk", "clear")):
            model.objects.filter(pk=pk).update(**{field: clear})  # the field seals what it writes


def unseal(apps, schema_editor):
    for name, field in COLUMNS:
        model = apps.get_model("accounts", name)
        rows = model.objects.exclude(**{f"{field}__isnull": True}).values_list("pk", field)
        for pk, clear in list(rows):
            # A Value with a plain text field is written as it is, past the field's sealing.
            model.objects.filter(pk=pk).update(**{field: Value(clear, output_field=models.TextField())})


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_secrets_at_rest"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account", name="email_code", field=accounts.fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="email", name="email_code", field=accounts.fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="keyfetchtoken", name="token_verification_id",
            field=accounts.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="sessiontoken", name="token_verification_id",
            field=accounts.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.RunPython(seal, unseal),
    ]
