import sys

from django.conf import settings
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django_tenants.utils import get_public_schema_name

from .api.errors import PROBLEM_CONTENT_TYPE, service_unavailable_body
from .models import OutboxMessage
from .transient import RETRY_AFTER_SECONDS, is_transient

# Set on every campaign message (apps.campaigns.services.sending); core imports no app.
CAMPAIGN_MESSAGE_HEADER = "X-Strato-Message"


def _outbox_enabled() -> None:
    if settings.EMAIL_BACKEND != "apps.core.mail.OutboxEmailBackend":
        raise Http404("The outbox exists only with the development mail backend.")


def outbox(request):
    """Development outbox: mail the app 'sent' while EMAIL_BACKEND is the outbox backend.

    A member sees what the organisation's own campaigns sent and mail addressed only to its own
    members; mail sent on this host to anyone else (an invitation, a reset link requested here
    for someone else's address) may carry that person's secrets and stays hidden.
    """
    _outbox_enabled()
    member_emails = [
        email.lower() for email in request.tenant.memberships.values_list("user__email", flat=True)
    ]
    messages = OutboxMessage.objects.filter(schema_name=request.tenant.schema_name).filter(
        Q(headers__has_key=CAMPAIGN_MESSAGE_HEADER) | Q(to__contained_by=member_emails)
    )[:100]
    return render(request, "core/outbox.html", {"outbox": messages})


def public_outbox(request):
    """Mail sent on the public host (signup confirmations and notices), for the developer.

    It holds other people's signup links, so only staff see it, or anyone when DEBUG is on (a
    developer's own machine).
    """
    _outbox_enabled()
    if not (settings.DEBUG or (request.user.is_authenticated and request.user.is_staff)):
        raise Http404("The public outbox is for staff.")
    messages = OutboxMessage.objects.filter(schema_name=get_public_schema_name())[:100]
    return render(request, "core/public_outbox.html", {"outbox": messages})


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
