"""Profile routes under /v1/ and the public avatar images at the root."""
from django.urls import path, re_path

from . import views

urlpatterns = [
    path("profile", views.ProfileView.as_view()),
    path("email", views.EmailView.as_view()),
    path("uid", views.UidView.as_view()),
    path("display_name", views.DisplayNameView.as_view()),
    path("avatar", views.AvatarView.as_view()),
    path("avatar/upload", views.AvatarUploadView.as_view()),
    path("avatar/<str:id>", views.AvatarItemView.as_view()),
]

page_urlpatterns = [
    re_path(r"^a/(?P<avatar_id>[0-9a-f]{32})$", views.public_avatar),
]
