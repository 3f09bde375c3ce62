"""Open pixel, click redirect and unsubscribe on the public host; buffered event insertion."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client

from apps.campaigns import services, tracking
from apps.campaigns.models import Campaign, Event, Message, Suppression
from apps.campaigns.tasks import flush_tracking_events
from tests.campaigns.factories import MessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_message(shop, campaign) -> Message:
    Campaign.objects.filter(pk=campaign.pk).update(status="sent")
    message = MessageFactory(campaign=campaign)
    message.campaign_tenant = shop
    return message


@pytest.fixture
def public() -> Client:
    from django_redis import get_redis_connection

    get_redis_connection("default").delete(tracking.BUFFER_KEY)
    return Client(HTTP_HOST="localhost")


def buffered() -> int:
    from django_redis import get_redis_connection

    return get_redis_connection("default").llen(tracking.BUFFER_KEY)


HUMAN = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15"


def test_open_pixel_buffers_without_touching_the_database(
    sent_message, public, django_assert_num_queries
):
    token = tracking.open_token(schema="t_acme", message_id=sent_message.pk)
    public.get("/t/o/warm.gif")  # warm the host cache
    with django_assert_num_queries(0):
        response = public.get(f"/t/o/{token}.gif", HTTP_USER_AGENT=HUMAN)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert buffered() == 1
    connection.set_tenant(sent_message.campaign_tenant)
    assert not Event.objects.exists()


def test_tampered_or_unknown_tokens_answer_404_and_never_redirect(sent_message, public):
    token = tracking.click_token(
        schema="t_acme", message_id=sent_message.pk, url="https://acme.example/offer"
    )
    forged = tracking.click_token(
        schema="t_acme", message_id=sent_message.pk, url="https://evil.example/"
    )
    # Splice the evil payload with the good signature, flip a byte, or invent one.
    spliced = forged.rsplit(":", 1)[0] + ":" + token.rsplit(":", 1)[1]
    for bad in (
        spliced,
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "nonsense",
        "javascript:alert(1)",
    ):
        response = public.get(f"/t/c/{bad}")
        assert response.status_code == 404, bad
        assert "Location" not in response
    assert public.get("/t/o/abc:def.gif").status_code == 404
    assert buffered() == 0


def test_non_http_destinations_are_refused_even_if_signed(sent_message, public):
    token = tracking.click_token(
        schema="t_acme", message_id=sent_message.pk, url="javascript:alert(1)"
    )
    assert public.get(f"/t/c/{token}").status_code == 404


def test_click_redirects_and_flush_records_human_and_machine(sent_message, public, settings):
    settings.CAMPAIGN_CLICK_MIN_SECONDS = 0
    url = "https://acme.example/offer?a=1&b=2"
    click = tracking.click_token(schema="t_acme", message_id=sent_message.pk, url=url)
    pixel = tracking.open_token(schema="t_acme", message_id=sent_message.pk)
    response = public.get(f"/t/c/{click}", HTTP_USER_AGENT=HUMAN)
    assert (response.status_code, response["Location"]) == (302, url)
    public.get(f"/t/o/{pixel}.gif", HTTP_USER_AGENT=HUMAN)
    public.get(f"/t/o/{pixel}.gif", HTTP_USER_AGENT="Mozilla/5.0")  # Apple MPP proxy
    public.head(f"/t/c/{click}", HTTP_USER_AGENT=HUMAN)  # scanners probe with HEAD
    public.get(f"/t/c/{click}", HTTP_USER_AGENT="Mozilla/5.0 (compatible; Barracuda)")
    connection.set_schema_to_public()
    assert flush_tracking_events() == 5
    connection.set_tenant(sent_message.campaign_tenant)
    rows = sorted(Event.objects.values_list("kind", "machine", "machine_reason", "url"))
    assert rows == [
        ("clicked", False, "", url),
        ("clicked", True, "head_request", url),
        ("clicked", True, "scanner_agent", url),
        ("opened", False, "", ""),
        ("opened", True, "apple_mpp", ""),
    ]
    from apps.campaigns.selectors import campaign_stats

    stats = campaign_stats(campaign=sent_message.campaign)
    assert (stats["opens_unique"], stats["opens_machine"]) == (1, 1)
    assert (stats["clicks_unique"], stats["clicks_machine"]) == (1, 2)
    assert stats["links"] == [{"url": url, "human": 1, "machine": 2, "unique": 1}]


def test_clicks_within_seconds_of_sending_are_flagged(sent_message, settings):
    settings.CAMPAIGN_CLICK_MIN_SECONDS = 60
    services.tracking_events_record(
        events=[
            {
                "k": "clicked",
                "m": sent_message.pk,
                "ua": HUMAN,
                "r": "",
                "u": "https://a.example",
                "t": time.time(),
            }
        ]
    )
    assert list(Event.objects.values_list("machine", "machine_reason")) == [
        (True, "click_too_soon")
    ]


def test_unsubscribe_page_confirms_by_post_and_one_click_works(sent_message, public):
    token = tracking.unsubscribe_token(schema="t_acme", message_id=sent_message.pk)
    page = public.get(f"/u/{token}")
    assert page.status_code == 200
    assert b'<form method="post">' in page.content
    connection.set_tenant(sent_message.campaign_tenant)
    assert not Suppression.objects.exists()  # a scanner fetching the link unsubscribes nobody

    response = public.post(f"/u/{token}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    connection.set_tenant(sent_message.campaign_tenant)
    assert list(Suppression.objects.values_list("email", "reason")) == [
        ("lead0@example.com", "unsubscribed")
    ]
    sent_message.refresh_from_db()
    assert sent_message.unsubscribed_at is not None
    again = public.post(f"/u/{token}")
    assert b"You are unsubscribed" in again.content
    connection.set_tenant(sent_message.campaign_tenant)
    assert Event.objects.filter(kind="unsubscribed").count() == 1
    assert public.post("/u/forged:token").status_code == 404
