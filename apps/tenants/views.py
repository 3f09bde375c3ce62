from django.shortcuts import render

from apps.accounts.selectors import members_of
from apps.core.permissions import capability_required


@capability_required("workspace.view")
def home(request):
    context = {"member_count": members_of(tenant=request.tenant).count()}
    return render(request, "tenants/home.html", context)
