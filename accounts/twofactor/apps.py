from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "accounts.twofactor"
    label = "twofactor"
    verbose_name = "Two-step authentication"
