import sys

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string

from .api.errors import PROBLEM_CONTENT_TYPE, service_unavailable_body
from .models import OutboxMessage
from .transient import RETRY_AFTER_SECONDS, is_transient


def outbox(request):
    """Development outbox: mail the app 'sent' while EMAIL_BACKEND is the outbox backend."""
    if settings.EMAIL_BACKEND != "apps.core.mail.OutboxEmailBackend":
        raise Http404("The outbox exists only with the development mail backend.")
    messages = OutboxMessage.objects.filter(schema_name=request.tenant.schema_name)[:100]
    return render(request, "core/outbox.html", {"outbox": messages})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database or Redis outage is a 503 with `Retry-After`, not a 500.

    Runs inside the handler of the uncaught exception, so `sys.exc_info()` is that exception.
    Renders without a request context: the context processors may need the unreachable service.
    """
    exc = sys.exc_info()[1]
    if not is_transient(exc):
        return HttpResponseServerError(render_to_string("500.html"))
    retry_after = str(RETRY_AFTER_SECONDS)
    if request.path.startswith("/api/"):
        body = service_unavailable_body()
        response: HttpResponse = JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
    else:
        response = HttpResponse(
            render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}), status=503
        )
    response["Retry-After"] = retry_after
    return response
