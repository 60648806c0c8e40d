"""Outgoing mail: queue a message in the caller's transaction, render it, deliver it.

``send_email`` is what the account flows call, inside the transaction of the change that causes
the message: it records an ``OutboundEmail`` row and, once that transaction commits, hands the row
to the Celery task ``emails.tasks.deliver``. Nothing is sent for a change that rolled back; a
message whose task could not be queued stays ``queued`` and is re-queued by ``requeue_stale``.

Whom the account flows may mail (the bounce rules) is the account app's policy: they queue
through ``accounts.services.mail``, which checks it and then calls ``send_email``.

A message is retried until its ``expires_at`` (the life of the code or token it carries, else
EMAIL_MAX_AGE), never given up for a count of attempts: a long SMTP outage delays mail, it does
not lose it. Its codes and tokens are sealed in the row (``emails.sealing``) and opened only here,
to render it.
"""
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError
from prometheus_client import Counter

from . import catalog, sealing
from .models import OutboundEmail, default_expires_at

logger = logging.getLogger("fxa.emails")

# A broker that refuses the task: kombu's own errors, or the socket error of a dead connection.
BROKER_ERRORS = (KombuError, OSError)

# Outcomes of delivery attempts: sent, deferred (a transient failure, retried), failed, expired.
EMAILS = Counter("fxa_emails", "Outbox delivery outcomes by template.", ["template", "status"])

SWEEP_BATCH = 500


def send_email(template, to, *, account=None, locale="", context=None, valid_for=None,
               expires_at=None):
    """Queue one message; call it inside the transaction of the change that causes it.

    ``template`` is an upstream template name (``emails.catalog.TEMPLATES``; ValueError for any
    other), ``to`` one address or a list, ``account`` the Account the message is about (X-Uid,
    utm parameters when its metrics are enabled), ``locale`` the request's Accept-Language header,
    ``context`` the protocol data the template's links and code headers are built from (the
    table in ``emails.catalog``). ``valid_for`` (seconds) or ``expires_at`` (a datetime) is when
    the message stops being worth sending, the life of the code or token it carries; by default
    EMAIL_MAX_AGE. Returns the ``OutboundEmail`` row, whose codes and tokens are sealed.

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
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(seconds=valid_for) if valid_for is not None else default_expires_at()
    expires_at = expires_at.replace(microsecond=0)
    if expires_at <= now:
        raise ValueError(f"email {template!r} would expire before it is sent")
    email = OutboundEmail.objects.create(  # save() seals the codes and tokens of the context
        template=template,
        to=recipients,
        uid=account.uid if account is not None else "",
        metrics_enabled=bool(account is not None and account.metrics_enabled),
        locale=locale or "",
        context=context,
        next_attempt_at=now,
        expires_at=expires_at,
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


def render_outbound(email, now=None):
    """The rendered message of a stored row, its seal opened (``sealing.SealError`` if it does not
    open, ``sealing.SealExpired`` once the row has expired)."""
    return catalog.render(
        email.template,
        uid=email.uid,
        metrics_enabled=email.metrics_enabled,
        locale=email.locale,
        context={**email.context, **email.open_seal(now)},
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


def build_message(email, now=None, connection=None):
    """The ``EmailMultiAlternatives`` for a stored row (text body, HTML alternative, headers),
    with the row's own Message-ID: every attempt at one row is the same message to a receiver."""
    rendered = render_outbound(email, now)
    message = Message(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=rendered.to,
        cc=rendered.cc,
        headers={**rendered.headers, "Message-ID": email.message_id},
        connection=connection,
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
    redelivery) never sends it twice; rows no longer ``queued`` are left alone. A transient
    failure (connection error, 4xx) records the attempt and raises ``DeliveryDeferred`` with the
    back-off, never past ``expires_at``; a row found past ``expires_at`` becomes ``expired``, a
    5xx answer, a message that cannot be built or a seal that does not open ``failed``. The seal
    is wiped whenever the row leaves ``queued``.

    Crash windows (CELERY_TASK_ACKS_LATE: the task is acknowledged after this returns):

    * before the SMTP server accepts the message: the transaction rolls back, the row is still
      queued, and the redelivered task or the sweep sends it: nothing lost, nothing doubled;
    * after the server accepted it (the DATA answer) and before our COMMIT: the row is still
      queued, so it is sent once more, with the same Message-ID, which receivers that
      deduplicate drop. That window is one UPDATE and COMMIT round trip: the status is written
      right after ``send_messages`` returns, and the SMTP QUIT waits until after the commit;
    * after the COMMIT and before the acknowledgement: the redelivered task finds the row
      ``sent`` and does nothing.
    """
    connection = None
    deferred = None
    try:
        with transaction.atomic():
            email = (
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=email_id, status=OutboundEmail.QUEUED)
                .first()
            )
            if email is None:
                return None
            now = timezone.now()
            if now >= email.expires_at:
                _finish(email, OutboundEmail.EXPIRED)
                email.save()
                return email.status
            email.attempts += 1
            try:
                message = build_message(email, now)
            except sealing.SealExpired:
                _finish(email, OutboundEmail.EXPIRED)
            except sealing.SealError as error:
                _finish(email, OutboundEmail.FAILED, f"Seal refused: {error}")
                logger.error("Email %s (%s) not sent: seal refused: %s", email.pk, email.template,
                             error)
            except Exception as error:  # a bug in a template or a context: retrying cannot help
                _finish(email, OutboundEmail.FAILED, _describe(error))
                logger.exception("Email %s (%s) could not be built", email.pk, email.template)
            else:
                connection = message.connection = get_connection()
                try:
                    # Opened here and closed after the commit: see the crash windows above.
                    connection.open()
                    connection.send_messages([message])
                except OSError as error:  # smtplib.SMTPException and socket errors
                    if is_permanent(error):
                        _finish(email, OutboundEmail.FAILED, _describe(error))
                        logger.error("Email %s (%s) failed: %s", email.pk, email.template,
                                     email.last_error)
                    else:
                        deferred = _defer(email, error, now)
                else:
                    email.sent_at = timezone.now()
                    _finish(email, OutboundEmail.SENT, "")
            email.save()
    finally:
        if connection is not None:
            _close(connection)
    if deferred is not None:
        raise deferred
    return email.status


def _finish(email, status, error=None):
    """Leave ``queued`` for good: the codes and tokens go with it (``error`` None keeps the last
    transient error, the reason an expired message was not sent)."""
    email.status = status
    if error is not None:
        email.last_error = error
    email.wipe_secrets()
    EMAILS.labels(email.template, status).inc()
    if status == OutboundEmail.EXPIRED:
        logger.warning("Email %s (%s) expired unsent after %s attempt(s): %s", email.pk,
                       email.template, email.attempts, email.last_error or "-")


def _defer(email, error, now):
    """Schedule the next attempt after a transient failure, at the latest at ``expires_at``."""
    left = (email.expires_at - now).total_seconds()
    countdown = max(min(retry_delay(email.attempts), left), 0)
    email.last_error = _describe(error)
    email.next_attempt_at = now + timedelta(seconds=countdown)
    EMAILS.labels(email.template, "deferred").inc()
    logger.warning("Email %s (%s) deferred %ss: %s", email.pk, email.template, countdown,
                   email.last_error)
    return DeliveryDeferred(error, countdown)


def _close(connection):
    try:
        connection.close()
    except Exception:  # the message is sent and recorded: a failed QUIT changes nothing
        logger.warning("Closing the SMTP connection failed", exc_info=True)


def _describe(error):
    return f"{type(error).__name__}: {error}"[:2000]


def expire_due(now=None):
    """Mark ``expired`` (seal wiped) the queued rows past their ``expires_at``; returns how many.

    Rows being delivered right now are locked and skipped: their task decides.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(status=OutboundEmail.QUEUED, expires_at__lte=now)
                .values_list("pk", "template")[:SWEEP_BATCH]
            )
            OutboundEmail.objects.filter(pk__in=[pk for pk, _ in rows]).update(
                status=OutboundEmail.EXPIRED, sealed="", updated_at=now
            )
        for pk, template in rows:
            EMAILS.labels(template, OutboundEmail.EXPIRED).inc()
            logger.warning("Email %s (%s) expired unsent", pk, template)
        expired += len(rows)
        if len(rows) < SWEEP_BATCH:
            return expired


def requeue_stale():
    """The beat sweep: expire what is past its ``expires_at``, then queue again every row whose
    attempt is overdue (broker down at commit time, a lost task or a lost Celery retry).

    A row is overdue when it is still ``queued`` EMAIL_REQUEUE_AFTER seconds after its attempt
    was due. Returns how many were handed to the broker; stops at the first refusal (the rest
    stay overdue for the next sweep).
    """
    expire_due()
    cutoff = timezone.now() - timedelta(seconds=settings.EMAIL_REQUEUE_AFTER)
    queued = 0
    while True:
        with transaction.atomic():
            # Claimed under the row locks, so that a row being delivered right now (locked) is
            # left to its task, and a concurrent sweep does not queue the same rows.
            batch = list(
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(status=OutboundEmail.QUEUED, next_attempt_at__lt=cutoff)
                .order_by("next_attempt_at")
                .values_list("pk", "next_attempt_at")[:SWEEP_BATCH]
            )
            OutboundEmail.objects.filter(pk__in=[pk for pk, _ in batch]).update(
                next_attempt_at=timezone.now()
            )
        for index, (email_id, _due) in enumerate(batch):
            if not queue_delivery(email_id):
                # Not queued: overdue again at once, for the next sweep.
                for pk, was_due in batch[index:]:
                    OutboundEmail.objects.filter(pk=pk, status=OutboundEmail.QUEUED).update(
                        next_attempt_at=was_due
                    )
                return queued
            queued += 1
        if len(batch) < SWEEP_BATCH:
            return queued


def resend(emails):
    """Admin action: queue these unsent rows again from scratch (status queued, attempts reset).

    A row whose code or token was wiped, or whose seal has expired, cannot be sent again: the
    user asks for a new code. A notice that expired gets a new EMAIL_MAX_AGE. Returns
    (how many were queued, the rows that could not be re-sent).
    """
    now = timezone.now()
    queued, unsendable = 0, []
    for email in emails:
        if email.status == OutboundEmail.SENT:
            continue
        if email.secrets_wiped or (email.sealed_keys and email.expires_at <= now):
            unsendable.append(email)
            continue
        fields = {"status": OutboundEmail.QUEUED, "attempts": 0, "last_error": "",
                  "next_attempt_at": now}
        if not email.sealed_keys and email.expires_at <= now:
            fields["expires_at"] = default_expires_at()
        updated = OutboundEmail.objects.filter(pk=email.pk).exclude(
            status=OutboundEmail.SENT).update(**fields)
        if updated and queue_delivery(email.pk):
            queued += 1
    return queued, unsendable
