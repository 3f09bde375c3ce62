"""A plan limit reached on a dashboard page answers 402 with the upgrade prompt."""

from django.template.response import TemplateResponse

from .services import PlanLimitExceeded


class PlanLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PlanLimitExceeded) or request.path.startswith("/api/"):
            return None
        response = TemplateResponse(
            request,
            "billing/limit_reached.html",
            {"error": exception, **exception.extra},
            status=402,
        )
        return response.render()
