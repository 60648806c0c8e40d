"""Request bodies of the secondary email routes (/recovery_email*, /recovery_emails)."""
from rest_framework import serializers

from ..validators import DIGITS, EmailAddressField, RegexStringField


class RecoveryEmailSerializer(serializers.Serializer):
    """{email}: /recovery_email, /destroy, /set_primary, /secondary/resend_code."""

    email = EmailAddressField()


class SecondaryEmailVerifyCodeSerializer(serializers.Serializer):
    email = EmailAddressField()
    code = RegexStringField(DIGITS, max_length=32)
