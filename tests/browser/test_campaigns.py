"""Real Chromium: import a CSV → write a template → create a campaign → test send → send →
open the report. A real Celery worker runs the import and the sending."""

import time

import pytest
from django.core import mail
from django.db import connection

from apps.campaigns.models import Campaign, Lead, Message
from apps.tenants.models import Tenant
from tests.accounts.factories import PASSWORD
from tests.campaigns.support import verified_sending_domain, wipe

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CSV = (
    "email,first_name,company\nada@example.com,Ada,Engines\ngrace@example.com,Grace,Navy\n"
    "not-an-email,Bob,X\n"
)


def test_import_template_campaign_test_send_send_report(
    page, live_urls, tenant, owner, worker, tmp_path
):
    Tenant.objects.filter(pk=tenant.pk).update(postal_address="1 Analytical Way, London")
    wipe(tenant)
    verified_sending_domain(tenant, "acme.example")
    host = f"http://acme.localhost:{live_urls['port']}"

    page.goto(f"{host}/login/")
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{host}/")

    # 1. Import a CSV; the import page polls until the Celery task is done.
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(CSV)
    page.goto(f"{host}/leads/")
    page.set_input_files("[data-testid=import-form] input[type=file]", str(csv_file))
    page.click("[data-testid=import-form] button")
    # One row has an error, so the job finishes as partial (with its error report).
    page.wait_for_selector("[data-testid=import-status][data-status=partial]", timeout=30_000)
    status = page.locator("[data-testid=import-status]").inner_text()
    assert "3 rows read · 2 created · 0 updated · 0 skipped · 1 errors" in status
    page.goto(f"{host}/leads/")
    assert "grace@example.com" in page.locator("[data-testid=leads]").inner_text()

    # 2. A template with live preview.
    page.goto(f"{host}/templates/new/")
    page.fill("input[name=name]", "Hello")
    page.fill("input[name=subject]", "Hello {{ lead.first_name }}")
    page.fill("textarea[name=html]", "<p>Hi {{ lead.first_name }} at {{ lead.company }}</p>")
    page.wait_for_function(
        "document.querySelector('[data-testid=preview-subject]').textContent.startsWith('Hello ')"
    )
    page.click("[data-testid=template-form] button")
    assert "Template saved." in page.locator(".messages").inner_text()

    # 3. The campaign wizard: audience → template → schedule → review with the content check.
    page.goto(f"{host}/campaigns/new/")
    page.fill("input[name=name]", "Launch")
    page.check("input[name=audience][value=all]")
    page.click("[data-testid=wizard-next]")
    page.wait_for_selector("[data-testid=wizard-step][data-step=template]")
    page.select_option("select[name=template]", label="Hello")
    page.fill("input[name=from_email]", "news@acme.example")
    page.click("[data-testid=wizard-next]")
    page.wait_for_selector("[data-testid=wizard-step][data-step=schedule]")
    # Back to the template step: what was entered there is kept in the draft.
    page.click("[data-testid=wizard-back]")
    page.wait_for_selector("[data-testid=wizard-step][data-step=template]")
    assert page.input_value("input[name=from_email]") == "news@acme.example"
    page.click("[data-testid=wizard-next]")
    page.wait_for_selector("[data-testid=wizard-step][data-step=schedule]")
    page.click("[data-testid=wizard-next]")  # "send right after the review" is the default
    page.wait_for_selector("[data-testid=wizard-step][data-step=review]")
    assert "(ok)" in page.locator("[data-testid=spam-check]").inner_text()
    assert page.locator("[data-testid=recipient-count]").inner_text() == "2"
    page.reload()  # the draft holds everything: a reload loses nothing
    assert page.locator("[data-testid=recipient-count]").inner_text() == "2"

    # 4. Test send from the review step, then send.
    page.fill("[data-testid=test-send-form] input[name=emails]", "me@acme.example")
    page.click("[data-testid=test-send-form] button")
    assert "Test sent to 1 address." in page.locator(".messages").inner_text()
    assert page.locator("[data-testid=wizard-step]").get_attribute("data-step") == "review"
    assert mail.outbox[-1].subject == "[Test] Hello Ada"
    page.click("[data-testid=send-now]")
    assert "Sending started." in page.locator(".messages").inner_text()

    # 5. The report once the worker has sent it.
    connection.set_tenant(Tenant.objects.get(pk=tenant.pk))
    deadline = time.monotonic() + 30
    while Campaign.objects.get(name="Launch").status != "sent":
        assert time.monotonic() < deadline, "campaign not sent in 30 s"
        time.sleep(0.2)
    assert Message.objects.filter(status="sent").count() == Lead.objects.count() == 2
    connection.set_schema_to_public()
    page.reload()
    assert page.locator("[data-testid=campaign-status]").inner_text() == "Sent"
    assert page.locator("[data-testid=stat-sent]").inner_text() == "2"
    assert page.locator("[data-testid=chart-empty]").is_visible()
    sent_to = sorted(m.to[0] for m in mail.outbox if not m.subject.startswith("[Test]"))
    assert sent_to == ["ada@example.com", "grace@example.com"]
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
