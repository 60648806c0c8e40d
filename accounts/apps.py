from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Mozilla accounts"

    def ready(self):
        from .checks import field_encryption_configured
        from .customs.checks import customs_rules_valid
        from .monitoring import count_celery_tasks

        checks.register(customs_rules_valid, checks.Tags.security)
        checks.register(field_encryption_configured, checks.Tags.security, deploy=True)
        count_celery_tasks()
