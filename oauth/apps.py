from importlib import import_module

from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "oauth"
    verbose_name = "OAuth clients and tokens"

    def ready(self):
        import_module("oauth.checks")  # registers the system checks
        from accounts.devices.oauth_clients import register_oauth_clients
        from accounts.monitoring import QUEUES, QueueDepthCollector

        from . import events
        from .models import WebhookDelivery
        from .tokens import AttachedClientsProvider

        register_oauth_clients(AttachedClientsProvider())
        events.connect()
        QUEUES.append(QueueDepthCollector(
            "fxa_webhooks_pending", "RP webhook deliveries awaiting delivery.",
            lambda: WebhookDelivery.objects.filter(status=WebhookDelivery.PENDING),
        ))
