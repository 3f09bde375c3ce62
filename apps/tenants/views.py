from django.shortcuts import render

from apps.accounts.selectors import members_of
from apps.core.permissions import member_required


@member_required()
def home(request):
    context = {"member_count": members_of(tenant=request.tenant).count()}
    return render(request, "tenants/home.html", context)
