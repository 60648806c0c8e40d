"""TOTP secrets encrypted at rest (accounts/fields.py); reversed, written back in clear."""
from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Cast

import accounts.fields

COLUMNS = ("shared_secret", "replacement_secret")


def seal(apps, schema_editor):
    model = apps.get_model("twofactor", "TotpToken")
    # Cast: the columns' text as stored (clear), not through the fields' decryption.
    clear = model.objects.annotate(**{f"clear_{c}": Cast(c, models.TextField()) for c in COLUMNS})
    for row in list(clear.values("pk", *(f"clear_{c}" for c in COLUMNS))):
        # The fields seal what they write.
        model.objects.filter(pk=row["pk"]).update(**{c: row[f"clear_{c}"] for c in COLUMNS})


def unseal(apps, schema_editor):
    model = apps.get_model("twofactor", "TotpToken")
    for row in list(model.objects.values("pk", *COLUMNS)):
        # A Value with a plain text field is written as it is, past the fields' sealing.
        model.objects.filter(pk=row["pk"]).update(
            **{c: Value(row[c], output_field=models.TextField()) for c in COLUMNS}
        )


class Migration(migrations.Migration):

    dependencies = [
        ("twofactor", "0002_totp_replacement"),
    ]

    operations = [
        migrations.AlterField(
            model_name="totptoken", name="shared_secret", field=accounts.fields.EncryptedTextField()
        ),
        migrations.AlterField(
            model_name="totptoken", name="replacement_secret",
            field=accounts.fields.EncryptedTextField(blank=True, default=""),
        ),
        migrations.RunPython(seal, unseal),
    ]
