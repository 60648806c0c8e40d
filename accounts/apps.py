from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Mozilla accounts"

    def ready(self):
        from .customs import checks  # noqa: F401 - registers the rules check
