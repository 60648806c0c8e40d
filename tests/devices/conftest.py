"""Fixtures of the device tests: a Web Push service on loopback and push settings pointing at it."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests import factories
from tests.helpers import ApiClient, token_credentials

from .push_service import FakePushService

VAPID_KEY = ec.generate_private_key(ec.SECP256R1())
VAPID_KEY_PEM = VAPID_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
VAPID_SUBJECT = "mailto:push-tests@example.com"
FIREFOX_ANDROID = "Mobile-Android-Sync/(Mobile; Android 13) (Fenix)"
OPEN_URI = "https://identity.mozilla.com/cmd/open-uri"


@pytest.fixture(scope="session")
def push_service():
    service = FakePushService().start()
    yield service
    service.stop()


@pytest.fixture(autouse=True)
def push_settings(settings):
    """Devices may register the loopback push service; pushes are signed with a test VAPID key."""
    settings.PUSH_EXTRA_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.VAPID_PRIVATE_KEY = VAPID_KEY_PEM
    settings.VAPID_SUBJECT = VAPID_SUBJECT
    return settings


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def user(db):
    return factories.account("devices@example.com")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the on-commit hooks (queued pushes) of what it wraps."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def token_id(token_hex):
    return token_credentials(token_hex, "sessionToken")[0]
