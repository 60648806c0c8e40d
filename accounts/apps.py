from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Mozilla accounts"

    def ready(self):
        from .customs.checks import customs_rules_valid
        from .monitoring import count_celery_tasks

        checks.register(customs_rules_valid, checks.Tags.security)
        count_celery_tasks()
