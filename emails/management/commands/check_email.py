"""``manage.py check_email ADDRESS``: send one test message through the configured mail backend,
and say in plain words what went wrong in the SMTP dialogue when it fails."""
import smtplib
import socket
import ssl

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from emails.checks import DEV_MAILBOX_BACKEND

# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
NAME_MISMATCH = (62, 64)
IMPLICIT_TLS_PORT = 465
IMPLICIT_TLS_HINT = (f"Port {IMPLICIT_TLS_PORT} expects TLS from the first byte: set "
                     "EMAIL_USE_SSL=true and EMAIL_USE_TLS=false.")


def _server(connection):
    return f"{connection.host}:{connection.port}"


def _reply(exc):
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


def _on_plain_text_to_implicit_tls_port(connection):
    return connection.port == IMPLICIT_TLS_PORT and not connection.use_ssl


def explain(exc, connection):
    """What ``exc``, raised by Django's SMTP backend, means for the operator, and what to change."""
    server = _server(connection)
    if isinstance(exc, socket.gaierror):
        return (f"The name {connection.host!r} does not resolve ({exc.strerror}): check EMAIL_HOST "
                "and this machine's DNS.")
    if isinstance(exc, ConnectionRefusedError):
        return (f"Nothing accepts connections at {server} (connection refused): check EMAIL_HOST "
                "and EMAIL_PORT (587 for STARTTLS, 465 for implicit TLS, 25 for relaying).")
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in NAME_MISMATCH:
            return (f"The certificate of {server} is not valid for the name {connection.host!r} "
                    f"({exc.verify_message}): set EMAIL_HOST to a name the certificate carries "
                    "(the server's own name, not its IP address or an alias).")
        return (f"The certificate of {server} is not trusted ({exc.verify_message}): a "
                "self-signed or private-CA certificate needs its CA in this machine's trust "
                "store (or SSL_CERT_FILE).")
    if isinstance(exc, ssl.SSLError):
        if connection.use_ssl:
            return (f"The TLS handshake with {server} failed ({exc.reason or exc}): the server "
                    "does not speak TLS from the first byte on this port. Ports 587 and 25 start "
                    "in plain text: set EMAIL_USE_SSL=false and EMAIL_USE_TLS=true (STARTTLS).")
        return f"The STARTTLS handshake with {server} failed ({exc.reason or exc})."
    if isinstance(exc, (TimeoutError, smtplib.SMTPServerDisconnected)):
        # smtplib reports a greeting that never came as a disconnection "timed out".
        timed_out = isinstance(exc, TimeoutError) or str(exc).endswith("timed out")
        what = (f"did not answer within EMAIL_TIMEOUT ({connection.timeout} s)" if timed_out
                else f"closed the connection ({exc})")
        if _on_plain_text_to_implicit_tls_port(connection):
            return f"{server} {what}. {IMPLICIT_TLS_HINT}"
        return (f"{server} {what}: a firewall may drop the connection, or the server expects "
                "TLS from the first byte (EMAIL_USE_SSL=true, usually port 465).")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "STARTTLS" in str(exc):
            if _on_plain_text_to_implicit_tls_port(connection):
                return f"{server} does not offer STARTTLS. {IMPLICIT_TLS_HINT}"
            return (f"EMAIL_USE_TLS is true, but {server} does not offer STARTTLS: use the "
                    "server's submission port (587, STARTTLS) or its implicit-TLS port (465, "
                    "EMAIL_USE_SSL=true).")
        if connection.use_tls or connection.use_ssl:
            return (f"EMAIL_HOST_USER and EMAIL_HOST_PASSWORD are set, but {server} does not "
                    "offer AUTH (a login): is this the submission port (587 or 465), not a relay "
                    "port? If the server relays without a login, unset both.")
        return (f"EMAIL_HOST_USER and EMAIL_HOST_PASSWORD are set, but {server} does not offer "
                "AUTH (a login) over plain text; most servers offer it only after STARTTLS: set "
                "EMAIL_USE_TLS=true (port 587), or EMAIL_USE_SSL=true (port 465).")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"{server} refused the login of {connection.username!r} ({_reply(exc)}): check "
                "EMAIL_HOST_USER and EMAIL_HOST_PASSWORD (some providers want an app password).")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (f"{server} refused the sender {exc.sender!r} ({_reply(exc)}): DEFAULT_FROM_EMAIL "
                "must be an address this account may send as.")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{address}: {code} {text.decode(errors='replace')}"
                            for address, (code, text) in exc.recipients.items())
        return f"{server} refused the recipient ({refused})."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{server} answered {_reply(exc)}."
    return f"Could not send through {server}: {exc}."


class Command(BaseCommand):
    help = (
        "Send a test message to ADDRESS through the configured mail backend (EMAIL_HOST, "
        "EMAIL_PORT, EMAIL_USE_TLS / EMAIL_USE_SSL, EMAIL_HOST_USER / EMAIL_HOST_PASSWORD) and "
        "report, in plain words, why the SMTP server refused it. Exits non-zero on failure."
    )
    # A diagnosis: it runs when the mail settings fail the system checks, too.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("address", help="Where to send the test message.")

    def handle(self, *args, address, **options):
        try:
            validate_email(address)
        except ValidationError:
            raise CommandError(f"{address!r} is not an email address.") from None
        message = EmailMessage(
            subject="Test message from Mozilla accounts",
            body=(f"This message was sent by `manage.py check_email` on {settings.PUBLIC_URL}: "
                  "the server's mail settings work.\n"),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"X-Template-Name": "checkEmail"},
        )
        if settings.EMAIL_BACKEND == DEV_MAILBOX_BACKEND:
            message.send()
            why = "EMAIL_DEV_MAILBOX is true" if settings.EMAIL_DEV_MAILBOX else "EMAIL_HOST is unset"
            where = "the /__mail__/ page" if settings.DEV_MAILBOX_ENABLED else \
                "the admin (Emails › Mailbox messages)"
            self.stdout.write(f"Not sent: mail goes to the development mailbox ({why}). The test "
                              f"message is in {where}.")
            return
        try:
            connection = get_connection()
        except ValueError as exc:  # EMAIL_USE_TLS and EMAIL_USE_SSL both set (emails.E002)
            raise CommandError(str(exc)) from None
        if not hasattr(connection, "host"):  # another backend (console, file…): no dialogue
            message.connection = connection
            message.send()
            self.stdout.write(f"Handed the test message to {settings.EMAIL_BACKEND}.")
            return
        self._describe(connection)
        try:
            with connection:
                connection.send_messages([message])
        except (OSError, smtplib.SMTPException) as exc:
            raise CommandError(f"{explain(exc, connection)}\n  ({type(exc).__name__}: {exc})") \
                from None
        self.stdout.write(self.style.SUCCESS(f"Sent a test message to {address} through "
                                             f"{_server(connection)}."))

    def _describe(self, connection):
        security = ("implicit TLS" if connection.use_ssl else
                    "STARTTLS" if connection.use_tls else "plain text (no TLS)")
        login = (f"login as {connection.username!r}" if connection.username and connection.password
                 else "no login")
        self.stdout.write(f"SMTP {_server(connection)}, {security}, {login}, from "
                          f"{settings.DEFAULT_FROM_EMAIL}.")
        if bool(connection.username) != bool(connection.password):
            self.stdout.write(self.style.WARNING(
                "Only one of EMAIL_HOST_USER and EMAIL_HOST_PASSWORD is set: no login is tried."))
