"""Response bodies of the account routes: the services' Python values under upstream's wire
names. The field order is the wire's; an optional member (``optional(...)``) is left out when
it is absent, or None unless it allows null, as upstream leaves it out."""
from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from .. import ports


class ResponseSerializer(serializers.Serializer):
    """An output serializer: renders a service's value (object or dict) for the wire."""

    order = None  # the members' wire order, where inheriting them would put them otherwise

    def get_fields(self):
        fields = super().get_fields()
        return {name: fields[name] for name in self.order} if self.order else fields

    @property
    def _readable_fields(self):
        # Bound once per class: DRF deep-copies every declared field for each instance, which
        # cost more than the rest of rendering a small body. Output fields keep no state of the
        # instance that bound them (nothing here reads the serializer's context).
        readable = type(self).__dict__.get("_bound_readable_fields")
        if readable is None:
            readable = [field for field in self.fields.values() if not field.write_only]
            type(self)._bound_readable_fields = readable
        return readable

    def to_representation(self, instance):
        body = {}
        for field in self._readable_fields:
            if not field.required and isinstance(instance, Mapping) and field.source_attrs \
                    and field.source_attrs[0] not in instance:
                continue
            value = field.get_attribute(instance)
            if value is not None:
                body[field.field_name] = field.to_representation(value)
            elif field.required or field.allow_null:
                body[field.field_name] = None
        return body


class MappingResponseSerializer(serializers.Serializer):
    """A JSON object whose keys are data (scopes, ...), each value rendered by ``child``."""

    child = None

    def to_representation(self, instance):
        return {key: self.child(value).data for key, value in instance.items()}


def optional(field_class, **kwargs):
    return field_class(required=False, **kwargs)


class EmptySerializer(ResponseSerializer):
    """``{}``: the route did what it was asked."""

    class Meta:
        ref_name = "Empty"


class CreateAccountResponseSerializer(ResponseSerializer):
    uid = serializers.CharField(source="account.uid")
    sessionToken = serializers.CharField(source="session_token")
    keyFetchToken = optional(serializers.CharField, source="key_fetch_token")
    keyFetchTokenVersion2 = optional(serializers.CharField, source="key_fetch_token_version2")
    authAt = serializers.IntegerField(source="session.auth_at_seconds")
    verificationMethod = optional(serializers.CharField, source="verification_method")


class LoginResponseSerializer(CreateAccountResponseSerializer):
    """The new session's tokens, and whether (and how) the sign-in must still be confirmed."""

    verified = serializers.BooleanField(source="status.verified")
    verificationMethod = optional(serializers.CharField, source="status.method")
    verificationReason = optional(serializers.CharField, source="status.reason")
    metricsEnabled = serializers.BooleanField(source="account.metrics_enabled")
    order = ("uid", "sessionToken", "keyFetchToken", "keyFetchTokenVersion2", "verified",
             "verificationMethod", "verificationReason", "authAt", "metricsEnabled")


class AccountUidStatusResponseSerializer(ResponseSerializer):
    exists = serializers.BooleanField()
    locale = optional(serializers.CharField, allow_null=True, help_text="With a sessionToken.")


class AccountStatusResponseSerializer(ResponseSerializer):
    exists = serializers.BooleanField()
    hasLinkedAccount = optional(serializers.BooleanField, source="has_linked_account",
                                help_text="With thirdPartyAuthStatus.")
    hasPassword = optional(serializers.BooleanField, source="has_password", help_text="With thirdPartyAuthStatus.")


class CredentialsStatusResponseSerializer(ResponseSerializer):
    currentVersion = serializers.ChoiceField(choices=("v1", "v2"), source="current_version")
    upgradeNeeded = serializers.BooleanField(source="upgrade_needed")
    clientSalt = optional(serializers.CharField, source="client_salt")


class KeysResponseSerializer(ResponseSerializer):
    bundle = serializers.CharField(help_text="hex: the key bundle sealed under keyFetchToken.")


class AccountProfileResponseSerializer(ResponseSerializer):
    email = serializers.CharField()
    locale = serializers.CharField(allow_null=True)
    authenticationMethods = serializers.ListField(child=serializers.CharField(), source="authentication_methods")
    authenticatorAssuranceLevel = serializers.IntegerField(source="authenticator_assurance_level")
    subscriptionsByClientId = serializers.DictField(source="subscriptions_by_client_id")
    profileChangedAt = serializers.IntegerField(source="profile_changed_at")
    metricsEnabled = serializers.BooleanField(source="metrics_enabled")
    atLeast18AtReg = serializers.BooleanField(source="at_least_18_at_reg", allow_null=True)


class AccountResponseSerializer(ResponseSerializer):
    createdAt = serializers.IntegerField(source="created_at")
    passwordCreatedAt = serializers.IntegerField(source="password_created_at", allow_null=True)
    hasPassword = serializers.BooleanField(source="has_password")
    metricsOptOutAt = serializers.IntegerField(source="metrics_opt_out_at", allow_null=True)

    def get_fields(self):
        # ``subscriptions`` is the subscriptions app's WebSubscription, found when the fields
        # are first bound: at import time the two serializer modules would import each other.
        return {**super().get_fields(),
                "subscriptions": ports.web_subscription_serializer()(many=True)}


class SessionStatusDetailsSerializer(ResponseSerializer):
    accountEmailVerified = serializers.BooleanField(source="account_email_verified")
    sessionVerificationMethod = serializers.CharField(source="session_verification_method", allow_null=True)
    sessionVerified = serializers.BooleanField(source="session_verified")
    mustVerify = serializers.BooleanField(source="must_verify")
    sessionVerificationMeetsMinimumAAL = serializers.BooleanField(source="meets_minimum_aal")
    verified = serializers.BooleanField()


class SessionStatusResponseSerializer(ResponseSerializer):
    state = serializers.ChoiceField(choices=("verified", "unverified"))
    uid = serializers.CharField()
    details = SessionStatusDetailsSerializer()


class SessionDuplicateResponseSerializer(ResponseSerializer):
    uid = serializers.CharField(source="account.uid")
    sessionToken = serializers.CharField(source="session_token")
    authAt = serializers.IntegerField(source="session.auth_at_seconds")
    emailVerified = serializers.BooleanField(source="account.email_verified")
    sessionVerified = serializers.BooleanField(source="session.token_verified")
    verificationMethod = serializers.CharField(source="status.method", allow_null=True)
    verificationReason = serializers.CharField(source="status.reason", allow_null=True)
    verified = serializers.BooleanField(source="status.verified")


class SessionReauthResponseSerializer(LoginResponseSerializer):
    """Login's members for the session that re-authenticated, without a new sessionToken."""

    sessionToken = None
    emailVerified = serializers.BooleanField(source="account.email_verified")
    sessionVerified = serializers.BooleanField(source="session.token_verified")
    order = ("uid", "keyFetchToken", "keyFetchTokenVersion2", "verified", "verificationMethod",
             "verificationReason", "emailVerified", "sessionVerified", "authAt", "metricsEnabled")


class NewSessionResponseSerializer(ResponseSerializer):
    """The session a password change hands back (``{}`` when none was asked for)."""

    uid = optional(serializers.CharField)
    sessionToken = optional(serializers.CharField, source="session_token")
    verified = optional(serializers.BooleanField)
    authAt = optional(serializers.IntegerField, source="auth_at")
    keyFetchToken = optional(serializers.CharField, source="key_fetch_token")
    keyFetchToken2 = optional(serializers.CharField, source="key_fetch_token_2")


class AccountResetResponseSerializer(NewSessionResponseSerializer):
    """The session a reset hands back, if asked for; a two-step account's awaits ``totp-2fa``."""

    verificationMethod = optional(serializers.CharField, source="verification_method")
    verificationReason = optional(serializers.CharField, source="verification_reason")


class PasswordChangeStartResponseSerializer(ResponseSerializer):
    passwordChangeToken = serializers.CharField(source="password_change_token")
    verified = serializers.BooleanField()
    keyFetchToken = optional(serializers.CharField, source="key_fetch_token")
    keyFetchToken2 = optional(serializers.CharField, source="key_fetch_token_2")


class PasswordForgotCodeStatusSerializer(ResponseSerializer):
    ttl = serializers.IntegerField(help_text="Seconds left.")
    codeLength = serializers.IntegerField(source="code_length")
    tries = serializers.IntegerField()


class PasswordForgotSendCodeResponseSerializer(ResponseSerializer):
    passwordForgotToken = serializers.CharField(source="password_forgot_token")
    ttl = serializers.IntegerField(help_text="Seconds left.")
    codeLength = serializers.IntegerField(source="code_length")
    tries = serializers.IntegerField()


class PasswordForgotStatusResponseSerializer(ResponseSerializer):
    tries = serializers.IntegerField()
    ttl = serializers.IntegerField()


class AccountResetTokenResponseSerializer(ResponseSerializer):
    accountResetToken = serializers.CharField(source="account_reset_token")


class PasswordForgotVerifyOtpResponseSerializer(ResponseSerializer):
    code = serializers.CharField()
    emailToHashWith = serializers.CharField(source="email_to_hash_with")
    token = serializers.CharField()
    uid = serializers.CharField()


class RecoveryEmailStatusResponseSerializer(ResponseSerializer):
    email = serializers.CharField()
    verified = serializers.BooleanField()
    sessionVerified = serializers.BooleanField(source="session_verified")
    emailVerified = serializers.BooleanField(source="email_verified")


class RecoveryEmailResponseSerializer(ResponseSerializer):
    email = serializers.CharField()
    isPrimary = serializers.BooleanField(source="is_primary")
    verified = serializers.BooleanField(source="is_verified")


class RecoveryKeyExistsResponseSerializer(ResponseSerializer):
    exists = serializers.BooleanField()


class RecoveryKeyDataResponseSerializer(ResponseSerializer):
    recoveryData = serializers.CharField(source="recovery_data")


class RecoveryKeyHintResponseSerializer(ResponseSerializer):
    hint = serializers.CharField(allow_null=True)


class SecurityEventResponseSerializer(ResponseSerializer):
    name = serializers.CharField()
    verified = serializers.BooleanField()
    createdAt = serializers.IntegerField(source="created_at")
    ipAddr = optional(serializers.CharField, source="ip_address")


class RandomBytesResponseSerializer(ResponseSerializer):
    data = serializers.CharField(help_text="32 random bytes, hex.")


class BouncesResponseSerializer(ResponseSerializer):
    recorded = optional(serializers.IntegerField, help_text="Absent for an SNS subscription confirmation.")


def render(serializer, value):
    """``value`` as ``serializer`` (a class, or an instance made with ``many=True``) renders it;
    a bare JSON value (``OpenApiTypes.INT``...) as it is."""
    if isinstance(serializer, OpenApiTypes):
        return value
    if isinstance(serializer, serializers.ListSerializer):
        return type(serializer.child)(value, many=True).data
    return serializer(value).data
