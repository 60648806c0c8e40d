"""A minimal Django relying party on mozilla-django-oidc, run as its own process by the e2e tests."""
