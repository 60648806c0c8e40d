"""Routes of the two-step authentication app, included under /v1/ by accounts/urls.py."""
from django.urls import path

from . import views

urlpatterns = [
    path("totp/create", views.TotpCreateView.as_view()),
    path("totp/setup/verify", views.TotpSetupVerifyView.as_view()),
    path("totp/setup/complete", views.TotpSetupCompleteView.as_view()),
    path("totp/destroy", views.TotpDestroyView.as_view()),
    path("totp/exists", views.TotpExistsView.as_view()),
    path("totp/replace/start", views.TotpReplaceStartView.as_view()),
    path("totp/replace/confirm", views.TotpReplaceConfirmView.as_view()),
    path("totp/verify", views.TotpVerifyView.as_view()),
    path("totp/verify/recoveryCode", views.TotpVerifyRecoveryCodeView.as_view()),
    path("session/verify/totp", views.SessionVerifyTotpView.as_view()),
    # The path as the API document misspells it: an alias, for clients built from that document.
    path("session/verifiy/totp", views.SessionVerifyTotpView.as_view()),
    path("recoveryCodes", views.RecoveryCodesView.as_view()),
    path("recoveryCodes/exists", views.RecoveryCodesExistsView.as_view()),
    path("session/verify/recoveryCode", views.SessionVerifyRecoveryCodeView.as_view()),
    path("mfa/otp/request", views.MfaOtpRequestView.as_view()),
    path("mfa/otp/verify", views.MfaOtpVerifyView.as_view()),
    path("mfa/totp/create", views.MfaTotpCreateView.as_view()),
    path("mfa/totp/setup/verify", views.MfaTotpSetupVerifyView.as_view()),
    path("mfa/totp/setup/complete", views.MfaTotpSetupCompleteView.as_view()),
    path("mfa/totp/destroy", views.MfaTotpDestroyView.as_view()),
    path("mfa/totp/replace/start", views.MfaTotpReplaceStartView.as_view()),
    path("mfa/totp/replace/confirm", views.MfaTotpReplaceConfirmView.as_view()),
    path("mfa/password/change", views.MfaPasswordChangeView.as_view()),
    path("mfa/password/create", views.MfaPasswordCreateView.as_view()),
    path("mfa/recoveryCodes", views.MfaRecoveryCodesView.as_view()),
    path("mfa/recovery_email", views.MfaRecoveryEmailCreateView.as_view()),
    path("mfa/recovery_email/destroy", views.MfaRecoveryEmailDestroyView.as_view()),
    path("mfa/recovery_email/set_primary", views.MfaRecoveryEmailSetPrimaryView.as_view()),
    path("mfa/recovery_email/secondary/resend_code", views.MfaSecondaryEmailResendCodeView.as_view()),
    path("mfa/recovery_email/secondary/verify_code", views.MfaSecondaryEmailVerifyCodeView.as_view()),
    path("mfa/recoveryKey", views.MfaRecoveryKeyView.as_view()),
]
