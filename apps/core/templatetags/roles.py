"""`{% load roles %}{% if request|can:"campaign.send" %}`: hide what the viewer's role cannot use.

The views enforce the same capabilities (`capability_required`); this only keeps the page from
offering a button that would answer 403.
"""

from django import template

from apps.core.roles import request_role, role_can

register = template.Library()


@register.filter
def can(request, capability_name: str) -> bool:
    return role_can(request_role(request), capability_name)
