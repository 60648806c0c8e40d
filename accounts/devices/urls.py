"""Routes of the devices app, included under /v1/ by accounts/urls.py."""
from django.urls import path

from . import views

urlpatterns = [
    path("account/device", views.DeviceView.as_view()),
    path("account/devices", views.DevicesView.as_view()),
    path("account/device/destroy", views.DeviceDestroyView.as_view()),
    path("account/device/commands", views.DeviceCommandsView.as_view()),
    path("account/devices/invoke_command", views.InvokeCommandView.as_view()),
    path("account/devices/notify", views.DevicesNotifyView.as_view()),
    path("account/sessions", views.SessionsView.as_view()),
    path("account/attached_clients", views.AttachedClientsView.as_view()),
    path("account/attached_client/destroy", views.AttachedClientDestroyView.as_view()),
]
