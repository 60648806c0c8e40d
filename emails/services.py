"""Outgoing mail: queue a message in the caller's transaction, render it, deliver it.

``send_email`` is what the account flows call, inside the transaction of the change that causes
the message: it records an ``OutboundEmail`` row and, once that transaction commits, hands the row
to the Celery task ``emails.tasks.deliver``. Nothing is sent for a change that rolled back; a
message whose task could not be queued stays ``queued`` and is re-queued by ``requeue_stale``.

Whom the account flows may mail (the bounce rules) is the account app's policy: they queue
through ``accounts.services.mail``, which checks it and then calls ``send_email``.
"""
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError


from . import catalog
from .models import OutboundEmail

logger = logging.getLogger("fxa.emails")

# A broker that refuses the task: kombu's own errors, or the socket error of a dead connection.
BROKER_ERRORS = (KombuError, OSError)


def send_email(template, to, *, account=None, locale="", context=None):
    """Queue one message; call it inside the transaction of the change that causes it.

    ``template`` is an upstream template name (``emails.catalog.TEMPLATES``; ValueError for any
    other), ``to`` one address or a list, ``account`` the Account the message is about (X-Uid,
    utm parameters when its metrics are enabled), ``locale`` the request's Accept-Language header,
    ``context`` the protocol data the template's links and code headers are built from (the
    table in ``emails.catalog``). Returns the ``OutboundEmail`` row.

    The row is the promise: if the broker refuses the task once the transaction has committed,
    the request still succeeds (the change it answers for is committed) and the row stays queued
    for the periodic re-queue, which sends it once the broker is back.
    """
    spec = catalog.get(template)
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not all(isinstance(address, str) and address for address in recipients):
        raise ValueError(f"no recipient for email {template!r}")
    context = dict(context or {})
    # Checked now, so a flow with a bad call fails in its own request rather than in the worker.
    spec.check_context({"uid": account.uid, **context} if account is not None else context)
    email = OutboundEmail.objects.create(
        template=template,
        to=recipients,
        uid=account.uid if account is not None else "",
        metrics_enabled=bool(account is not None and account.metrics_enabled),
        locale=locale or "",
        context=context,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: queue_delivery(email.pk))
    return email


def queue_delivery(email_id):
    """Hand one row to the delivery task; False (logged) when the broker refuses it."""
    from .tasks import deliver

    try:
        deliver.apply_async(args=[email_id], retry_policy=settings.EMAIL_QUEUE_RETRY_POLICY)
    except BROKER_ERRORS:
        logger.exception("Could not queue email %s; it stays queued for the re-queue task", email_id)
        return False
    return True


def render_email(template, *, account=None, locale="", context=None, to=None):
    """The message for ``template``: a ``catalog.RenderedEmail`` (subject, text, html, headers)."""
    return catalog.render(
        template,
        uid=account.uid if account is not None else "",
        metrics_enabled=bool(account is not None and account.metrics_enabled),
        locale=locale,
        context=context or {},
        to=to,
    )


def render_outbound(email):
    """The rendered message of a stored row."""
    return catalog.render(
        email.template,
        uid=email.uid,
        metrics_enabled=email.metrics_enabled,
        locale=email.locale,
        context=email.context,
        to=email.to,
    )


class Message(EmailMultiAlternatives):
    """A message whose header lines are not folded at 78 characters.

    Python folds a long unbreakable value (an ``X-Link`` URL) onto a continuation line, which
    some parsers then read with leading whitespace; RFC 5322 allows lines up to 998 characters.
    """

    def message(self, **kwargs):
        message = super().message(**kwargs)
        message.policy = message.policy.clone(max_line_length=998)
        return message


def build_message(email):
    """The ``EmailMultiAlternatives`` for a stored row (text body, HTML alternative, headers)."""
    rendered = render_outbound(email)
    message = Message(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=rendered.to,
        cc=rendered.cc,
        headers=rendered.headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def retry_delay(attempts):
    """Seconds before the next attempt after ``attempts`` failed ones: exponential, capped."""
    return min(settings.EMAIL_RETRY_BACKOFF_MAX, settings.EMAIL_RETRY_BACKOFF * 2 ** max(attempts - 1, 0))


class DeliveryDeferred(Exception):
    """A transient failure (SMTP server down, 4xx answer): the task retries after ``countdown``."""

    def __init__(self, error, countdown):
        super().__init__(str(error), countdown)  # picklable: the arguments are the state
        self.countdown = countdown


def is_permanent(error):
    """A 5xx answer (unknown mailbox, rejected message) will not change on retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def deliver(email_id):
    """Send one queued row with the configured EMAIL_BACKEND and record the outcome.

    The row is locked while it is sent (``skip_locked``), so a duplicate task (re-queue, broker
    redelivery) never sends it twice; rows no longer ``queued`` are left alone. Raises
    ``DeliveryDeferred`` (after recording the attempt) when the failure is transient and attempts
    remain; the row is marked ``failed`` after the last attempt or on a permanent error.
    """
    deferred = None
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.QUEUED)
            .first()
        )
        if email is None:
            return None
        email.attempts += 1
        try:
            message = build_message(email)
        except Exception as error:  # a bug in a template or a context: retrying cannot help
            email.last_error = _describe(error)
            email.status = OutboundEmail.FAILED
            logger.exception("Email %s (%s) could not be built", email.pk, email.template)
        else:
            try:
                message.send()
            except OSError as error:  # smtplib.SMTPException and socket errors
                email.last_error = _describe(error)
                if is_permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                    email.status = OutboundEmail.FAILED
                    logger.error("Email %s (%s) failed: %s", email.pk, email.template,
                                 email.last_error)
                else:
                    countdown = retry_delay(email.attempts)
                    email.next_attempt_at = timezone.now() + timedelta(seconds=countdown)
                    deferred = DeliveryDeferred(error, countdown)
                    logger.warning("Email %s (%s) deferred %ss: %s", email.pk, email.template,
                                   countdown, email.last_error)
            else:
                email.status = OutboundEmail.SENT
                email.sent_at = timezone.now()
                email.last_error = ""
                # The codes and tokens have done their job; don't keep credentials at rest.
                email.context = {key: value for key, value in email.context.items()
                                 if key not in catalog.SECRET_CONTEXT_KEYS}
        email.save()
    if deferred is not None:
        raise deferred
    return email.status


def _describe(error):
    return f"{type(error).__name__}: {error}"[:2000]


def requeue_stale():
    """Queue again the rows whose task never ran (broker down at commit time, lost task).

    A row is stale when it is still ``queued`` EMAIL_REQUEUE_AFTER seconds after its attempt was
    due. Returns how many were handed to the broker; stops at the first refusal.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.EMAIL_REQUEUE_AFTER)
    stale = list(
        OutboundEmail.objects.filter(status=OutboundEmail.QUEUED, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    queued = 0
    for email_id in stale:
        # Claimed only if still stale: a row being delivered right now is left to its task.
        claimed = OutboundEmail.objects.filter(
            pk=email_id, status=OutboundEmail.QUEUED, next_attempt_at__lt=cutoff
        ).update(next_attempt_at=timezone.now())
        if not claimed:
            continue
        if not queue_delivery(email_id):
            break
        queued += 1
    return queued


def resend(emails):
    """Admin action: queue these unsent rows again from scratch (status queued, attempts reset)."""
    ids = [email.pk for email in emails if email.status != OutboundEmail.SENT]
    OutboundEmail.objects.filter(pk__in=ids).exclude(status=OutboundEmail.SENT).update(
        status=OutboundEmail.QUEUED, attempts=0, last_error="", next_attempt_at=timezone.now()
    )
    return sum(1 for email_id in ids if queue_delivery(email_id))
