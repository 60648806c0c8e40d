"""The delivery provider's bounce and complaint notifications (upstream reads them from SQS).

``POST /v1/emails/bounces`` takes an SES notification, raw or in an SNS envelope, authenticated
with the shared secret EMAIL_BOUNCE_WEBHOOK_SECRET: ``Authorization: Bearer <secret>``, or HTTP
Basic with the secret as password (what an SNS HTTPS subscription URL ``https://fxa:<secret>@…``
sends). The route does not exist (404) while the secret is unset.
"""
import base64
import binascii
import hmac
import logging

from django.conf import settings

from ..errors import AppError, Errno
from ..serializers.responses import BouncesResponseSerializer
from ..services import bounces
from .base import PublicView

logger = logging.getLogger("fxa.bounces")


def _presented_secret(request):
    """The secret in the Authorization header (Bearer, or Basic's password), or None."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class EmailBouncesWebhookView(PublicView):
    """POST /v1/emails/bounces (shared secret; SES/SNS notification JSON)"""

    response_serializer = BouncesResponseSerializer

    def post(self, request):
        secret = settings.EMAIL_BOUNCE_WEBHOOK_SECRET
        if not secret:
            raise AppError.not_found()
        presented = _presented_secret(request)
        if presented is None or not hmac.compare_digest(presented.encode(), secret.encode()):
            raise AppError(Errno.INVALID_TOKEN, message="Invalid or missing webhook secret")
        payload = request.data
        if isinstance(payload, dict) and payload.get("Type") == "SubscriptionConfirmation":
            # Confirming is left to the operator: fetching a URL named by a request is not ours
            # to do automatically.
            logger.warning("SNS subscription confirmation: visit %s", payload.get("SubscribeURL"))
            return self.answer({})
        try:
            recorded = bounces.handle_notification(payload)
        except bounces.InvalidNotification:
            raise AppError.invalid_parameter([]) from None
        return self.answer({"recorded": recorded})
