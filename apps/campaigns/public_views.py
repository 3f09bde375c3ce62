"""Public host: open pixel, click redirect and unsubscribe (tokens carry the tenant).

The tracking views do one signature check and one Redis RPUSH; nothing touches PostgreSQL on the
request path. Unsubscribe writes at once (the recipient must be off the list immediately); its GET
only shows a confirmation form, so link scanners that fetch the URL unsubscribe nobody, while the
RFC 8058 one-click POST from mail clients works without a page.
"""

from __future__ import annotations

import base64
import logging

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_tenants.utils import schema_context

from . import selectors, services, tracking

logger = logging.getLogger(__name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _buffer(request, *, kind: str, schema: str, message_id: int, url: str = "") -> None:
    try:
        tracking.buffer_event(
            kind=kind,
            schema=schema,
            message_id=message_id,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            method=request.method,
            url=url,
        )
    except Exception:  # never break an image or a redirect because the buffer is down
        logger.exception("tracking buffer unavailable")


@never_cache
@require_http_methods(["GET", "HEAD"])
def open_pixel(request, token: str):
    parsed = tracking.read_open_token(token)
    if parsed is None:
        raise Http404("Unknown tracking token")
    schema, message_id = parsed
    _buffer(request, kind="opened", schema=schema, message_id=message_id)
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
@require_http_methods(["GET", "HEAD"])
def click_redirect(request, token: str):
    parsed = tracking.read_click_token(token)
    if parsed is None:
        raise Http404("Unknown tracking token")
    schema, message_id, url = parsed
    _buffer(request, kind="clicked", schema=schema, message_id=message_id, url=url)
    return HttpResponseRedirect(url)


@csrf_exempt  # the signed token is the credential; mail clients POST without a CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    parsed = tracking.read_unsubscribe_token(token)
    if parsed is None:
        raise Http404("Unknown unsubscribe link")
    schema, message_id = parsed
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    with schema_context(schema):
        if request.method == "GET":
            email = selectors.message_email(message_id=message_id)
            if email is None:
                raise Http404("Unknown unsubscribe link")
            return render(request, "campaigns/unsubscribe.html", {"email": email, "done": False})
        message = services.message_unsubscribe(
            message_id=message_id, source="one_click" if one_click else "page"
        )
    if message is None:
        raise Http404("Unknown unsubscribe link")
    if one_click:
        return HttpResponse(status=200)
    return render(request, "campaigns/unsubscribe.html", {"email": message.email, "done": True})
