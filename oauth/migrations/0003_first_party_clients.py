"""Placeholder for the first-party clients' data migration (replaced by the real one at merge)."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('oauth', '0002_client_rotation_jwt_disabled'),
    ]

    operations = []
