from django.shortcuts import render

from apps.core.permissions import member_required

from .selectors import plan_for_tenant


@member_required()
def index(request):
    return render(request, "billing/index.html", {"plan": plan_for_tenant(tenant=request.tenant)})
