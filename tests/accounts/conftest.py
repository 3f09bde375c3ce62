import pytest


@pytest.fixture(autouse=True)
def _acme_on_a_plan_with_seats(request):
    """These tests invite several people to `acme`; Free allows one seat, so acme is on Pro
    (10 seats). Seat limits themselves are tested in tests/billing."""
    if "tenant" not in request.fixturenames:
        return
    from apps.billing.services import billing_plan_set

    billing_plan_set(tenant=request.getfixturevalue("tenant"), plan_code="pro")
