"""Routes of the auth-server API, mounted under /v1/."""
from django.urls import include, path

from .views import account, bounces, emails, misc, password, recovery_email, session
from .views import unblock as unblock_views
from .views import verification as verification_views

urlpatterns = [
    path("account/create", account.CreateAccountView.as_view()),
    path("account/login", account.LoginView.as_view()),
    path("account/login/send_unblock_code", unblock_views.SendUnblockCodeView.as_view()),
    path("account/login/reject_unblock_code", unblock_views.RejectUnblockCodeView.as_view()),
    path("account/status", account.AccountStatusView.as_view()),
    path("account/credentials/status", account.CredentialsStatusView.as_view()),
    path("account/keys", account.AccountKeysView.as_view()),
    path("account/destroy", account.AccountDestroyView.as_view()),
    path("account/profile", account.AccountProfileView.as_view()),
    path("account", account.AccountView.as_view()),
    path("session/status", session.SessionStatusView.as_view()),
    path("session/destroy", session.SessionDestroyView.as_view()),
    path("session/duplicate", session.SessionDuplicateView.as_view()),
    path("session/reauth", session.SessionReauthView.as_view()),
    path("session/verify_code", verification_views.SessionVerifyCodeView.as_view()),
    path("session/resend_code", verification_views.SessionResendCodeView.as_view()),
    path("recovery_email/status", recovery_email.RecoveryEmailStatusView.as_view()),
    path("recovery_email/verify_code", recovery_email.VerifyEmailCodeView.as_view()),
    path("recovery_email/resend_code", verification_views.RecoveryEmailResendCodeView.as_view()),
    path("recovery_emails", emails.RecoveryEmailsView.as_view()),
    path("recovery_email", emails.RecoveryEmailCreateView.as_view()),
    path("recovery_email/destroy", emails.RecoveryEmailDestroyView.as_view()),
    path("recovery_email/set_primary", emails.RecoveryEmailSetPrimaryView.as_view()),
    path("recovery_email/secondary/resend_code", emails.SecondaryEmailResendCodeView.as_view()),
    path("recovery_email/secondary/verify_code", emails.SecondaryEmailVerifyCodeView.as_view()),
    path("emails/bounces", bounces.EmailBouncesWebhookView.as_view()),
    path("password/change/start", password.PasswordChangeStartView.as_view()),
    path("password/change/finish", password.PasswordChangeFinishView.as_view()),
    path("get_random_bytes", misc.GetRandomBytesView.as_view()),
    path("", include("accounts.devices.urls")),
    path("", include("accounts.twofactor.urls")),
]
