from rest_framework.generics import GenericAPIView

from apps.core.permissions import IsTenantMember


class TenantAPIView(GenericAPIView):
    """Base for tenant endpoints: the tenant comes from the host and the membership from the one
    permission layer, so handlers never check tenancy by hand.

    Subclasses set `required_capability` (a name from `apps.core.roles`, or a dict by HTTP
    method); there is no default, and `manage.py check` refuses a view without one.
    """

    permission_classes = [IsTenantMember]

    @property
    def tenant(self):
        return self.request.tenant  # type: ignore[attr-defined]  # set by the tenant middleware

    def paginated_response(self, queryset, serializer_class):
        """Cursor-paginated list: `results`, `next` and `previous`."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @property
    def membership(self):
        """The caller's membership, as accounts' middleware attached it to the request."""
        return self.request.membership  # type: ignore[attr-defined]  # set by accounts
