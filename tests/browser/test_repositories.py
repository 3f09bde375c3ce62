"""Analyse a repository from the dashboard and read its report, in headless Chromium.

GitHub is stubbed at the HTTP boundary with `responses`, which patches `requests` for the whole
process, so the live server's thread sees the same canned GitHub; Celery runs eagerly there.
"""

import pytest
import responses

from apps.billing.services import billing_plan_set
from tests.accounts.factories import PASSWORD, add_member
from tests.repos.support import SHA_1, stub_repository

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILES = {
    "package.json": '{"name": "shop", "dependencies": {"next": "14.2.3", "react": "18.3.1",'
    ' "pg": "8.11.0"}, "devDependencies": {"typescript": "5.4.5"}}',
    "tsconfig.json": '{"compilerOptions": {"strict": true}}',
    "pages/index.tsx": "export default function Home() { return <main>Shop</main>; }\n",
    "lib/db.ts": "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
}


def test_analyse_a_repository_and_view_the_report(
    page, live_urls, settings, eager_celery, tenant, tmp_path
):
    settings.GITHUB_API_URL = "https://api.github.com"
    billing_plan_set(tenant=tenant, plan_code="starter")
    user = add_member(tenant, "ada@acme.test", "owner")
    base = f"http://acme.localhost:{live_urls['port']}"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as github:
        stub_repository(github, "vercel-demo", "shop", files=FILES)

        page.goto(f"{base}/login/")
        page.fill("#id_username", user.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")

        page.click("nav >> text=Repositories")
        page.fill("#id_url", "https://github.com/vercel-demo/shop/tree/main/pages")
        page.click("[data-testid=analyze-form] button")

        page.wait_for_url(f"{base}/repositories/*/")
        assert page.locator("h1").inner_text() == "vercel-demo/shop"
        assert "Analysis of vercel-demo/shop queued." in page.locator(".messages").inner_text()
        assert page.locator("[data-testid=repository-status]").inner_text() == "Analysed"

        technologies = page.locator("[data-testid=technologies]")
        assert technologies.locator("tr[data-slug='next.js']").count() == 1
        assert technologies.locator("tr[data-slug='react']").count() == 1
        assert "TypeScript" in page.locator("[data-testid=languages]").inner_text()
        technologies.locator("tr[data-slug='next.js'] summary").click()
        assert "package.json" in technologies.locator("tr[data-slug='next.js']").inner_text()
        assert SHA_1[:7] in page.locator("[data-testid=history]").inner_text()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

        page.click("nav >> text=Repositories")
        table = page.locator("[data-testid=repositories]").inner_text()
        assert "vercel-demo/shop" in table
        assert "Analysed" in table
        assert sum("/tarball/" in call.request.url for call in github.calls) == 1
