"""``manage.py check_email ADDRESS`` against real SMTP sinks on loopback (aiosmtpd): one that
accepts, one that offers no AUTH, one that refuses the login, STARTTLS and implicit-TLS servers
with a test CA's certificate; and the start-up check that keeps mail from vanishing."""
import ipaddress
from io import StringIO

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError

from emails.models import MailboxMessage
from tests.live import free_port
from tests.smtp import SmtpSink
from tests.tls import issue_certificate

ADDRESS = "operator@example.com"


def check_email(address=ADDRESS):
    out = StringIO()
    call_command("check_email", address, stdout=out, stderr=StringIO())
    return out.getvalue()


def failure(address=ADDRESS):
    with pytest.raises(CommandError) as raised:
        check_email(address)
    return str(raised.value)


@pytest.fixture
def smtp(settings):
    """Point the SMTP settings at ``sink`` (started here, stopped after the test)."""
    started = []

    def use(sink, **overrides):
        started.append(sink.start())
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 2
        for name, value in overrides.items():
            setattr(settings, name, value)
        return sink

    yield use
    for sink in started:
        sink.stop()


def _authenticator(accept):
    def authenticate(server, session, envelope, mechanism, auth_data):
        # handled=False: aiosmtpd answers the refusal itself (535).
        return AuthResult(success=accept and auth_data.password == b"right", handled=False)
    return authenticate


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory):
    """A CA file and a server context whose certificate that CA issued for 127.0.0.1 (and
    mail.example.test), not for the name localhost."""
    return issue_certificate(tmp_path_factory.mktemp("tls"), "mail.example.test", [
        x509.DNSName("mail.example.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])


# Delivered.

def test_a_message_reaches_an_accepting_server(smtp):
    sink = smtp(SmtpSink())
    out = check_email()
    assert "SMTP 127.0.0.1:" in out and "plain text (no TLS), no login" in out
    assert f"Sent a test message to {ADDRESS}" in out
    (message,) = sink.messages_to(ADDRESS)
    assert message["X-Template-Name"] == "checkEmail"


def test_a_login_the_server_accepts(smtp):
    sink = smtp(SmtpSink(authenticator=_authenticator(True), auth_require_tls=False),
                EMAIL_HOST_USER="fxa", EMAIL_HOST_PASSWORD="right")
    assert "login as 'fxa'" in check_email()
    assert sink.messages_to(ADDRESS)


def test_starttls_with_a_trusted_certificate(smtp, test_ca, monkeypatch):
    ca_file, context = test_ca
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    sink = smtp(SmtpSink(tls_context=context), EMAIL_USE_TLS=True)
    assert "STARTTLS" in check_email()
    assert sink.messages_to(ADDRESS)


# The server's refusals, in plain words.

def test_credentials_for_a_server_that_offers_no_auth(smtp):
    smtp(SmtpSink(), EMAIL_HOST_USER="fxa", EMAIL_HOST_PASSWORD="secret")
    message = failure()
    assert "does not offer AUTH" in message
    assert "EMAIL_USE_TLS=true (port 587)" in message
    assert "SMTPNotSupportedError" in message


def test_a_refused_login(smtp):
    smtp(SmtpSink(authenticator=_authenticator(False), auth_require_tls=False),
         EMAIL_HOST_USER="fxa", EMAIL_HOST_PASSWORD="wrong")
    message = failure()
    assert "refused the login of 'fxa' (535" in message
    assert "EMAIL_HOST_PASSWORD" in message


def test_starttls_asked_of_a_server_without_it(smtp):
    smtp(SmtpSink(), EMAIL_USE_TLS=True)
    assert "does not offer STARTTLS" in failure()


def test_implicit_tls_against_a_plain_text_port(smtp):
    smtp(SmtpSink(), EMAIL_USE_SSL=True)
    message = failure()
    assert "does not speak TLS from the first byte" in message
    assert "EMAIL_USE_TLS=true (STARTTLS)" in message


def test_plain_text_against_an_implicit_tls_port(smtp, test_ca):
    _, context = test_ca
    smtp(SmtpSink(ssl_context=context), EMAIL_TIMEOUT=1)
    message = failure()
    assert "did not answer within EMAIL_TIMEOUT (1 s)" in message
    assert "EMAIL_USE_SSL=true" in message


def test_a_certificate_for_another_name(smtp, test_ca, monkeypatch):
    ca_file, context = test_ca
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    smtp(SmtpSink(tls_context=context), EMAIL_USE_TLS=True, EMAIL_HOST="localhost")
    message = failure()
    assert "is not valid for the name 'localhost'" in message
    assert "set EMAIL_HOST to a name the certificate carries" in message


def test_a_certificate_from_an_unknown_ca(smtp, test_ca, monkeypatch, tmp_path):
    _, context = test_ca
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "empty.pem"))
    smtp(SmtpSink(ssl_context=context), EMAIL_USE_SSL=True)
    assert "is not trusted" in failure()


def test_nothing_listening(smtp, settings):
    smtp(SmtpSink())
    settings.EMAIL_PORT = free_port()
    assert "connection refused" in failure()


def test_a_name_that_does_not_resolve(smtp, settings):
    smtp(SmtpSink())
    settings.EMAIL_HOST = "smtp.example.invalid"
    assert "does not resolve" in failure()


def test_not_an_address(smtp):
    smtp(SmtpSink())
    assert "is not an email address" in failure("nobody")


# The development mailbox.

@pytest.mark.django_db
def test_the_development_mailbox_says_where_the_message_went(settings):
    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.DEV_MAILBOX_ENABLED = False
    out = check_email()
    assert "Not sent: mail goes to the development mailbox" in out
    assert "in the admin" in out
    assert MailboxMessage.objects.get().to == [ADDRESS]


def _errors():
    return {message.id for message in run_checks() if message.is_serious()}


def test_without_debug_and_smtp_the_start_up_checks_fail(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.EMAIL_DEV_MAILBOX = False
    assert "emails.E001" in _errors()


def test_the_mailbox_chosen_on_purpose_passes(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.EMAIL_DEV_MAILBOX = True
    assert "emails.E001" not in _errors()


def test_tls_and_ssl_together_fail_the_checks(settings):
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = True
    assert "emails.E002" in _errors()
