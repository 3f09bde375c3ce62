"""Helper for benchmarks/tracking.py (not a benchmark itself): the public host's URLs plus a
bare view, so the baseline goes through the same gunicorn, middleware and host routing."""

from django.http import HttpResponse
from django.urls import path

from strato.urls_public import urlpatterns as public_urlpatterns


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bare/", bare), *public_urlpatterns]
