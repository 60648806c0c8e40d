"""Every action the server checks, and the properties its call site supplies (customs.md §3).

A rule can only count what its action's call knows: ``ip_uid`` needs a signed-in caller. The
system check (``checks.py``) holds the configured rules against this table.
"""
UNAUTHENTICATED = frozenset({"ip", "email", "ip_email"})
AUTHENTICATED = frozenset({"ip", "email", "uid", "ip_email", "ip_uid"})
IP_ONLY = frozenset({"ip"})

ACTIONS = {
    # Sign-up, sign-in and probes for accounts.
    "accountCreate": UNAUTHENTICATED,
    "accountLogin": UNAUTHENTICATED,
    "passwordCheckFailed": UNAUTHENTICATED,
    "accountStatusCheck": IP_ONLY | {"email", "ip_email", "uid", "ip_uid"},
    "accountStatusCheckFailed": IP_ONLY,
    "getCredentialsStatus": UNAUTHENTICATED,
    "sendUnblockCode": UNAUTHENTICATED,
    "unblockEmail": UNAUTHENTICATED,
    "unblockCodeFailed": UNAUTHENTICATED,
    "authenticatedAccountLogin": AUTHENTICATED,
    "accountDestroy": AUTHENTICATED,
    "accountDestroyFailed": AUTHENTICATED,
    # Passwords.
    "passwordChange": UNAUTHENTICATED,
    "authenticatedPasswordChange": AUTHENTICATED,
    "passwordForgotSendCode": UNAUTHENTICATED,
    "passwordForgotResendCode": UNAUTHENTICATED,
    "passwordForgotVerifyCode": UNAUTHENTICATED,
    "passwordForgotSendOtp": UNAUTHENTICATED,
    "passwordForgotVerifyOtp": UNAUTHENTICATED,
    "passwordForgotVerifyOtpPerDay": UNAUTHENTICATED,
    "recoveryKeyExists": IP_ONLY | {"email", "ip_email", "uid", "ip_uid"},
    "getRecoveryKey": AUTHENTICATED,  # a key id checked (no rule upstream: the default's)
    # Mail and codes of a signed-in account.
    "sendVerifyCode": AUTHENTICATED,
    "verifySessionCode": AUTHENTICATED,
    "verifySessionCodeFailed": AUTHENTICATED,
    "recoveryEmailResendCode": AUTHENTICATED,
    "recoveryEmailVerifyCode": AUTHENTICATED,
    "createEmail": AUTHENTICATED,
    "recoveryEmailSecondaryResendCode": AUTHENTICATED,
    "recoveryEmailSecondaryVerifyCode": AUTHENTICATED,
    # Two-step authentication.
    "totpCreate": AUTHENTICATED,
    "verifyTotpCode": AUTHENTICATED,
    "verifyTotpCodeFailed": AUTHENTICATED,
    "verifyRecoveryCode": AUTHENTICATED,
    # OAuth.
    "tokenExchange": IP_ONLY | {"token"},
    # Subscriptions (upstream's names). The two a signed-out visitor may call count the IP only
    # then; with a token they count the account too.
    "previewInvoice": AUTHENTICATED,
    "retrieveCouponDetails": AUTHENTICATED,
    "createCustomer": AUTHENTICATED,
    "createSubscriptionWithPMI": AUTHENTICATED,
    "retryInvoice": AUTHENTICATED,
    "subsequentInvoicePreviews": AUTHENTICATED,
    "applyPromotionCodeToSubscription": AUTHENTICATED,
    "createSetupIntent": AUTHENTICATED,
    "updateDefaultPaymentMethod": AUTHENTICATED,
    "detachFailedPaymentMethod": AUTHENTICATED,
    "updateSubscription": AUTHENTICATED,
    "deleteSubscription": AUTHENTICATED,
    "reactivateSubscription": AUTHENTICATED,
    "mozillaSubscriptionsCustomerBillingAndSubscriptions": AUTHENTICATED,
    "mozillaSubscriptionsValidatePlanEligibility": AUTHENTICATED,
}
