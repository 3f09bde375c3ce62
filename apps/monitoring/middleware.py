from .views import liveness

LIVENESS_PATHS = {"/health", "/health/"}


class HealthCheckMiddleware:
    """Answers liveness before host routing, so probes by IP or any host get a 200."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in LIVENESS_PATHS:
            return liveness(request)
        return self.get_response(request)
