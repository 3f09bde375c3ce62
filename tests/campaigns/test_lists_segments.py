"""Lists and saved segments over HTTP: read, rename, change, delete (and when deleting is
refused), bulk list membership, a segment's leads and counts."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.campaigns import services
from apps.campaigns.models import Campaign, Lead, LeadList, Segment
from tests.campaigns.factories import LeadFactory, LeadListFactory, MessageFactory, create_leads
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def _ids(leads) -> list[str]:
    return [str(lead.public_id) for lead in leads]


# --- Lists ------------------------------------------------------------------------------------


def test_list_read_rename_and_name_conflicts(api):
    shops = api.post("/api/lists", {"name": "Django shops"}, format="json").json()
    api.post("/api/lists", {"name": "Agencies"}, format="json")
    url = f"/api/lists/{shops['id']}"

    got = api.get(url).json()
    assert (got["name"], got["lead_count"]) == ("Django shops", 0)

    renamed = api.patch(url, {"name": "  Django studios "}, format="json")
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Django studios")
    # Another list's name, in any case, is a conflict like on create.
    body = assert_problem(api.put(url, {"name": "AGENCIES"}, format="json"), 409, "list_exists")
    assert body["detail"] == "A list named 'AGENCIES' already exists."
    # Its own name in another case is not.
    assert api.put(url, {"name": "DJANGO STUDIOS"}, format="json").json()["name"] == (
        "DJANGO STUDIOS"
    )
    assert_problem(api.put(url, {}, format="json"), 400, "validation_error")
    assert api.patch(url, {}, format="json").json()["name"] == "DJANGO STUDIOS"
    assert_problem(
        api.get("/api/lists/00000000-0000-0000-0000-000000000000"), 404, "list_not_found"
    )
    assert LeadList.objects.get(public_id=shops["id"]).name == "DJANGO STUDIOS"


def test_bulk_membership_add_and_remove(api):
    leads = create_leads(4)
    lst = api.post("/api/lists", {"name": "Prospects"}, format="json").json()
    url = f"/api/lists/{lst['id']}/leads"

    first = api.post(url, {"leads": _ids(leads[:2])}, format="json")
    assert (first.status_code, first.json()) == (200, {"added": 2, "lead_count": 2})
    # Idempotent: members already in are not counted again.
    again = api.post(url, {"leads": _ids(leads[:3])}, format="json").json()
    assert again == {"added": 1, "lead_count": 3}
    assert api.get(f"/api/leads/{leads[0].public_id}").json()["lists"] == [lst["id"]]

    # One unknown id: 404 naming it, and nothing changes.
    missing = "00000000-0000-0000-0000-000000000001"
    body = assert_problem(
        api.post(url, {"leads": [*_ids(leads[3:]), missing]}, format="json"), 404, "lead_not_found"
    )
    assert body["missing"] == [missing]
    assert LeadList.objects.get(public_id=lst["id"]).leads.count() == 3
    assert_problem(api.post(url, {"leads": []}, format="json"), 400, "validation_error")

    # Removal by query parameters, then by a JSON body; non-members count as not removed.
    query = "&".join(f"lead={i}" for i in _ids([leads[0], leads[3]]))
    assert api.delete(f"{url}?{query}").json() == {"removed": 1, "lead_count": 2}
    removed = api.delete(url, {"leads": _ids(leads[1:3])}, format="json").json()
    assert removed == {"removed": 2, "lead_count": 0}
    assert Lead.objects.count() == 4  # the leads themselves stay


def test_adding_to_a_list_is_an_edit_refused_above_the_plan_but_removing_is_not(api, shop):
    from apps.billing.services import billing_plan_set

    billing_plan_set(tenant=shop, plan_code="free")  # 1,000 leads
    connection.set_tenant(shop)
    leads = create_leads(1001)
    lead_list = LeadListFactory(name="Big")
    leads[0].lists.add(lead_list)
    url = f"/api/lists/{lead_list.public_id}/leads"

    body = assert_problem(
        api.post(url, {"leads": _ids(leads[1:3])}, format="json"), 402, "plan_limit_exceeded"
    )
    assert (body["limit"], body["usage"]) == (1000, 1001)
    assert lead_list.leads.count() == 1
    removed = api.delete(url, {"leads": _ids(leads[:1])}, format="json")
    assert removed.json() == {"removed": 1, "lead_count": 0}


def test_members_manage_lists_and_segments_including_deleting_them(shop, member, api_client_for):
    as_member = api_client_for(shop, member)
    connection.set_tenant(shop)
    lead_list = services.list_create(name="Team")
    segment = services.segment_create(name="Pythonistas", filters={"tags_any": ["python"]})
    lead = create_leads(1)[0]

    added = as_member.post(
        f"/api/lists/{lead_list.public_id}/leads", {"leads": _ids([lead])}, format="json"
    )
    assert added.json()["added"] == 1
    assert as_member.patch(
        f"/api/lists/{lead_list.public_id}", {"name": "Team A"}, format="json"
    ).json()["name"] == ("Team A")
    assert as_member.delete(f"/api/lists/{lead_list.public_id}").status_code == 204
    assert as_member.delete(f"/api/segments/{segment.public_id}").status_code == 204
    assert not LeadList.objects.exists()
    assert not Segment.objects.exists()
    assert Lead.objects.filter(pk=lead.pk).exists()


@pytest.mark.parametrize("state", ["scheduled", "sending", "paused"])
def test_deleting_a_list_an_active_campaign_sends_to_is_refused(api, campaign, state):
    lead_list = services.list_create(name="Launch list")
    Campaign.objects.filter(pk=campaign.pk).update(status=state, lead_list=lead_list)

    body = assert_problem(api.delete(f"/api/lists/{lead_list.public_id}"), 409, "list_in_use")
    assert body["campaigns"] == [{"id": str(campaign.public_id), "name": "Launch", "status": state}]
    assert f"Launch ({state})" in body["detail"]
    assert LeadList.objects.filter(pk=lead_list.pk).exists()


def test_deleting_a_list_behind_an_active_campaigns_segment_is_refused(api, campaign):
    lead_list = services.list_create(name="Inner")
    segment = services.segment_create(
        name="Inner, engaged", filters={"list": str(lead_list.public_id)}
    )
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled", segment=segment)
    assert_problem(api.delete(f"/api/lists/{lead_list.public_id}"), 409, "list_in_use")


def test_deleting_a_list_keeps_sent_reports_and_stops_drafts_widening(api, shop, campaign):
    leads = create_leads(3)
    lead_list = services.list_create(name="Launch list")
    services.list_leads_add(lead_list=lead_list, leads=leads[:2])
    sent = services.campaign_duplicate(campaign=campaign)
    Campaign.objects.filter(pk=sent.pk).update(status="sent", lead_list=lead_list)
    for lead in leads[:2]:
        MessageFactory(campaign=sent, lead=lead)
    Campaign.objects.filter(pk=campaign.pk).update(lead_list=lead_list)  # a draft

    assert api.delete(f"/api/lists/{lead_list.public_id}").status_code == 204

    report = api.get(f"/api/campaigns/{sent.public_id}")
    assert report.json()["list"] is None
    assert report.json()["audience_removed"] == 'list "Launch list" (deleted)'
    stats = api.get(f"/api/campaigns/{sent.public_id}/stats").json()
    assert (stats["total"], stats["sent"]) == (2, 2)

    # The draft does not silently go to every lead: sending is refused until it has an audience.
    draft = f"/api/campaigns/{campaign.public_id}"
    assert api.get(draft).json()["audience_removed"] == 'list "Launch list" (deleted)'
    body = assert_problem(api.post(f"{draft}/send-now"), 400, "campaign_audience_deleted")
    assert body["errors"]["audience"][0].startswith("The audience of this campaign was deleted")
    chosen = api.put(draft, {"list": None}, format="json").json()  # "all leads", explicitly
    assert chosen["audience_removed"] == ""
    assert api.post(f"{draft}/send-now").json()["status"] == "sending"


# --- Segments ---------------------------------------------------------------------------------


def test_segment_read_with_counts_and_its_leads(api):
    python = [LeadFactory(email=f"py{i}@example.com", tags=["python"]) for i in range(3)]
    LeadFactory(email="go@example.com", tags=["go"])
    services.suppression_add(email="PY0@example.com", reason="unsubscribed")
    segment = api.post(
        "/api/segments", {"name": "Python", "filters": {"tags_any": ["python"]}}, format="json"
    ).json()

    got = api.get(f"/api/segments/{segment['id']}").json()
    assert (got["name"], got["lead_count"], got["recipient_count"]) == ("Python", 3, 2)
    listed = api.get(f"/api/segments/{segment['id']}/leads").json()["results"]
    assert sorted(lead["email"] for lead in listed) == sorted(lead.email for lead in python)
    assert_problem(
        api.get("/api/segments/00000000-0000-0000-0000-000000000000/leads"),
        404,
        "segment_not_found",
    )


def test_segment_update_validates_like_create(api):
    LeadFactory(email="dj@example.com", tags=["django"])
    segment = api.post(
        "/api/segments", {"name": "Python", "filters": {"tags_any": ["python"]}}, format="json"
    ).json()
    api.post("/api/segments", {"name": "Go", "filters": {"tags_any": ["go"]}}, format="json")
    url = f"/api/segments/{segment['id']}"

    body = assert_problem(
        api.patch(url, {"filters": {"tags_any": "python", "colour": "red"}}, format="json"),
        400,
        "validation_error",
    )
    assert body["errors"]["filters.tags_any"] == ["Must be a list of tags."]
    assert body["errors"]["filters.colour"][0].startswith("Unknown filter.")
    assert_problem(api.patch(url, {"name": "go"}, format="json"), 409, "segment_exists")
    # PUT replaces both fields and needs both.
    assert_problem(api.put(url, {"name": "Only a name"}, format="json"), 400, "validation_error")

    changed = api.put(
        url, {"name": "Django", "filters": {"tags_all": ["django"]}}, format="json"
    ).json()
    assert (changed["name"], changed["filters"], changed["lead_count"]) == (
        "Django",
        {"tags_all": ["django"]},
        1,
    )
    renamed = api.patch(url, {"name": "Djangonauts"}, format="json").json()
    assert (renamed["name"], renamed["filters"]) == ("Djangonauts", {"tags_all": ["django"]})
    assert Segment.objects.get(public_id=segment["id"]).filters == {"tags_all": ["django"]}


def test_segment_filters_are_frozen_while_a_campaign_expands_from_them(api, campaign):
    segment = services.segment_create(name="Python", filters={"tags_any": ["python"]})
    Campaign.objects.filter(pk=campaign.pk).update(status="sending", segment=segment)
    url = f"/api/segments/{segment.public_id}"

    body = assert_problem(
        api.patch(url, {"filters": {"tags_any": ["go"]}}, format="json"), 409, "segment_in_use"
    )
    assert body["campaigns"][0]["id"] == str(campaign.public_id)
    assert api.patch(url, {"name": "Py"}, format="json").json()["name"] == "Py"
    Campaign.objects.filter(pk=campaign.pk).update(expansion_done=True)
    assert api.patch(url, {"filters": {"tags_any": ["go"]}}, format="json").status_code == 200


def test_segment_delete_refused_while_used_then_detached_once_finished(api, campaign):
    segment = services.segment_create(name="Python", filters={"tags_any": ["python"]})
    Campaign.objects.filter(pk=campaign.pk).update(status="paused", segment=segment)
    assert_problem(api.delete(f"/api/segments/{segment.public_id}"), 409, "segment_in_use")

    Campaign.objects.filter(pk=campaign.pk).update(status="cancelled")
    assert api.delete(f"/api/segments/{segment.public_id}").status_code == 204
    campaign.refresh_from_db()
    assert (campaign.segment_id, campaign.audience_removed) == (
        None,
        'segment "Python" (deleted)',
    )


def test_openapi_documents_list_and_segment_endpoints(api):
    connection.set_schema_to_public()
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="strato.urls_tenant_api").get_schema(request=None, public=True)
    paths = schema["paths"]
    operations = {
        ("/api/lists/{list_id}", "get"): "lists_retrieve",
        ("/api/lists/{list_id}", "put"): "lists_update",
        ("/api/lists/{list_id}", "patch"): "lists_partial_update",
        ("/api/lists/{list_id}", "delete"): "lists_destroy",
        ("/api/lists/{list_id}/leads", "post"): "lists_leads_add",
        ("/api/lists/{list_id}/leads", "delete"): "lists_leads_remove",
        ("/api/segments/{segment_id}", "get"): "segments_retrieve",
        ("/api/segments/{segment_id}", "put"): "segments_update",
        ("/api/segments/{segment_id}", "patch"): "segments_partial_update",
        ("/api/segments/{segment_id}", "delete"): "segments_destroy",
        ("/api/segments/{segment_id}/leads", "get"): "segments_leads",
    }
    for (path, method), operation_id in operations.items():
        assert paths[path][method]["operationId"] == operation_id
    destroy = paths["/api/lists/{list_id}"]["delete"]["responses"]["409"]
    examples = destroy["content"]["application/problem+json"]["examples"]
    assert any(e["value"]["code"] == "list_in_use" for e in examples.values())
    remove = paths["/api/lists/{list_id}/leads"]["delete"]
    assert [p["name"] for p in remove["parameters"] if p["in"] == "query"] == ["lead"]
    imports = paths["/api/leads/imports"]["post"]["responses"]["413"]
    assert "application/problem+json" in imports["content"]
