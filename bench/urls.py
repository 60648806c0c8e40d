"""The project's URL map plus hot_path.py's baseline: a bare DRF JSON view behind the same middleware
and DRF settings as /v1, so that a case's cost can be read against what the stack costs anyway."""
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from fxa_project import urls as project_urls


class BaselineView(APIView):
    """GET /v1/bench/baseline: no authentication, no database, a small JSON body."""

    def get(self, request):
        return Response({"state": "ok"})


handler400 = project_urls.handler400
handler500 = project_urls.handler500

urlpatterns = [
    path("v1/bench/baseline", BaselineView.as_view()),
    path("", include("fxa_project.urls")),
]
