from django.shortcuts import render

from apps.core.permissions import member_required


@member_required()
def index(request):
    return render(request, "repos/index.html")
