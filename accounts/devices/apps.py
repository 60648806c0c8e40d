from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "accounts.devices"
    label = "devices"
    verbose_name = "Devices and push"

    def ready(self):
        from django.core import checks

        from .checks import push_configuration

        checks.register(push_configuration)
