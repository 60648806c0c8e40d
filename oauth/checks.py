"""System checks: a production deployment needs an OpenID signing key."""
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def signing_key_configured(app_configs, **kwargs):
    if settings.OAUTH_SIGNING_KEY:
        try:
            from .keys import current_key, next_key, old_key

            current_key()
            next_key()
            old_key()
        except Exception as exc:  # noqa: BLE001 - reported as a check failure
            return [checks.Error(f"OAUTH_SIGNING_KEY(_NEXT, _OLD) is not a usable RSA key: {exc}",
                                 id="oauth.E001")]
        return []
    return [checks.Warning(
        "OAUTH_SIGNING_KEY is not set: id_tokens cannot be signed and /v1/jwks is empty.",
        hint="Generate one with `manage.py oauth_keys generate`.", id="oauth.W001",
    )]
