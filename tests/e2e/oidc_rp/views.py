"""The relying party's protected page: who is signed in."""
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def whoami(request):
    return HttpResponse(f"Signed in as {request.user.email}", content_type="text/plain")
