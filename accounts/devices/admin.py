"""Support staff see an account's devices and can disconnect one (its session goes with it)."""
from django.contrib import admin
from django.db import transaction

from . import services
from .models import Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "name", "type", "created_at", "push_endpoint_expired")
    list_filter = ("type", "push_endpoint_expired")
    search_fields = ("id", "account__uid", "account__normalized_email", "name")
    fields = ("id", "account", "name", "type", "created_at", "last_access_time", "push_callback",
              "push_endpoint_expired", "available_commands", "last_command_index")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        with transaction.atomic():
            services.disconnect(obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for device in queryset.select_for_update():
                services.disconnect(device)
