from django.urls import path

from . import views

urlpatterns = [
    path("", views.mailbox, name="dev-mailbox"),
    path("<int:message_id>/", views.mailbox_message, name="dev-mailbox-message"),
]
