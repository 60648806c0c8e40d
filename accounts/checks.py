"""Deploy checks of the accounts app's own secrets."""
from django.conf import settings
from django.core import checks


def field_encryption_configured(app_configs, **kwargs):
    if settings.FIELD_ENCRYPTION_KEYS:
        return []
    return [checks.Warning(
        "FIELD_ENCRYPTION_KEYS is not set: TOTP secrets and Hawk keys are encrypted under a key "
        "derived from SECRET_KEY, so whoever holds SECRET_KEY can read them from a database copy, "
        "and a SECRET_KEY rotated without SECRET_KEY_FALLBACKS makes them unreadable.",
        hint="Set it to `manage.py reencrypt_fields --new-key`, restart, then run "
             "`manage.py reencrypt_fields`.",
        id="accounts.W001",
    )]
