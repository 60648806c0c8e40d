"""An SMTP sink on loopback for the live-stack tests: keeps every message it receives, parsed."""
import email
import threading
import time
from email import policy

from aiosmtpd.controller import Controller

from tests.helpers import free_port

# Recipients at this domain get "451 try again later" from the sink: a transient failure.
TEMPFAIL_DOMAIN = "tempfail.example"


class SinkHandler:
    """Keeps every message received, parsed; refuses TEMPFAIL_DOMAIN recipients with a 451."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@" + TEMPFAIL_DOMAIN):
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on loopback that tests can stop (connections refused) and start again.

    ``controller_options`` go to aiosmtpd's Controller: ``tls_context`` (STARTTLS),
    ``ssl_context`` (implicit TLS), ``authenticator`` and ``auth_require_tls`` (AUTH)."""

    def __init__(self, **controller_options):
        self.port = free_port()
        self.handler = SinkHandler()
        self.controller = None
        self.controller_options = controller_options

    def start(self):
        if self.controller is None:
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                         **self.controller_options)
            self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages_to(self, address, template=None):
        with self.handler.lock:
            return [m for m in self.handler.messages if address in m["To"]
                    and template in (None, m["X-Template-Name"])]

    def wait_for(self, address, template=None, timeout=20):
        deadline = time.monotonic() + timeout
        while not self.messages_to(address, template):
            assert time.monotonic() < deadline, f"no {template or ''} message to {address} within {timeout}s"
            time.sleep(0.1)
        return self.messages_to(address, template)

    def latest_code(self, address, header, template=None, timeout=20, after=0):
        """The code a mail carries in ``header`` (X-Signin-Verify-Code…), from the newest message
        to ``address`` once more than ``after`` such messages have arrived."""
        deadline = time.monotonic() + timeout
        while True:
            messages = [m for m in self.messages_to(address, template) if m[header]]
            if len(messages) > after:
                return messages[-1][header]
            assert time.monotonic() < deadline, f"no {header} mail to {address} within {timeout}s"
            time.sleep(0.1)

    def count(self, address, header):
        return len([m for m in self.messages_to(address) if m[header]])
