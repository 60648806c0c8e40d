"""Routes of the auth-server API, mounted under /v1/."""
from django.urls import path

from .views import account, misc, password, recovery_email, session

urlpatterns = [
    path("account/create", account.CreateAccountView.as_view()),
    path("account/login", account.LoginView.as_view()),
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
    path("recovery_email/status", recovery_email.RecoveryEmailStatusView.as_view()),
    path("recovery_email/verify_code", recovery_email.VerifyEmailCodeView.as_view()),
    path("password/change/start", password.PasswordChangeStartView.as_view()),
    path("password/change/finish", password.PasswordChangeFinishView.as_view()),
    path("get_random_bytes", misc.GetRandomBytesView.as_view()),
]
