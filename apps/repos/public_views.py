"""Public-host pages of the repos app: the GitHub App's Setup URL."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from apps.core.errors import DomainError
from apps.tenants.selectors import tenant_reverse

from . import services

# What GitHub adds to the Setup URL after an installation, forwarded to the tenant host as is.
SETUP_PARAMETERS = ("installation_id", "setup_action", "code", "state")


@require_GET
def github_setup_callback(request):
    """The App's Setup URL: GitHub comes back here after an installation.

    Sessions live on each tenant's host, so this page only reads the tenant out of the signed
    state and sends the browser to that host, where the signed-in user's own link is checked
    and completed (`dashboard:repositories-github-link`).
    """
    try:
        tenant = services.github_link_state_tenant(state=request.GET.get("state", ""))
    except DomainError as error:
        return render(
            request, "repos/github_callback_invalid.html", {"detail": error.detail}, status=400
        )
    query = urlencode({key: request.GET[key] for key in SETUP_PARAMETERS if key in request.GET})
    target = tenant_reverse(tenant=tenant, viewname="dashboard:repositories-github-link")
    return redirect(f"{target}?{query}")
