from django.conf import settings
from django.shortcuts import render

from apps.billing.plans import PLANS


def landing(request):
    return render(request, "core/landing.html", {"plans": PLANS.values()})


def outbox(request):
    """Development outbox: mail the app 'sent' while EMAIL_BACKEND is the outbox backend."""
    from django.http import Http404

    from .models import OutboxMessage

    if settings.EMAIL_BACKEND != "apps.core.mail.OutboxEmailBackend":
        raise Http404("The outbox exists only with the development mail backend.")
    messages = OutboxMessage.objects.filter(schema_name=request.tenant.schema_name)[:100]
    return render(request, "core/outbox.html", {"outbox": messages})
