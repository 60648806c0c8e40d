"""WSGI entry point of the test relying party (gunicorn tests.oauth.oidc_rp.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oauth.oidc_rp.settings")
application = get_wsgi_application()
