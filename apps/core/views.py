from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from .models import OutboxMessage


def outbox(request):
    """Development outbox: mail the app 'sent' while EMAIL_BACKEND is the outbox backend."""
    if settings.EMAIL_BACKEND != "apps.core.mail.OutboxEmailBackend":
        raise Http404("The outbox exists only with the development mail backend.")
    messages = OutboxMessage.objects.filter(schema_name=request.tenant.schema_name)[:100]
    return render(request, "core/outbox.html", {"outbox": messages})
