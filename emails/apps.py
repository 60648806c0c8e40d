from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"

    def ready(self):
        from django.core import checks

        from .checks import mail_delivery

        checks.register(mail_delivery)
