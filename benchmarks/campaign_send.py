"""A 100,000-lead campaign through the real pipeline vs. a naive one-message-per-lead loop.

Strato: `campaign_send_now` → Celery expansion in keyset chunks → `send_batch` tasks (100
personalised emails per Resend `/emails/batch` call, Idempotency-Key per batch) on real worker
processes (prefork, 4 children, since the work also waits on PostgreSQL and HTTP), PostgreSQL and
Redis, against a stub of Resend's HTTP API on 127.0.0.1 without a rate limit. Part-way through,
one worker child is killed with SIGKILL: its task is redelivered (acks_late +
reject_on_worker_lost) and the run must still end with no duplicate and no lost email. The
baseline renders the same email and sends it with django-anymail's Resend backend, one API call
per lead, in a plain loop (on a sample, since it is the slow one).

Last line JSON: emails_per_s, baseline_emails_per_s, peak_rss_mb (per worker process),
duplicates, lost. Run with `make bench`, or:
    python scripts/services.py exec --profile bench --settings strato.settings.bench -- \
        python benchmarks/campaign_send.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strato.settings.bench")

LEADS = int(os.environ.get("BENCH_CAMPAIGN_LEADS", "100000"))
BASELINE_LEADS = int(os.environ.get("BENCH_BASELINE_LEADS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "4"))
KILL_AT = float(os.environ.get("BENCH_KILL_AT", "0.3"))  # fraction sent; 0 disables
TIMEOUT = float(os.environ.get("BENCH_CAMPAIGN_TIMEOUT", "900"))
RUN_ID = uuid.uuid4().hex[:6]

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from apps.billing.services import billing_plan_set  # noqa: E402
from apps.campaigns import services  # noqa: E402
from apps.campaigns.models import Campaign, Lead, Message  # noqa: E402
from apps.tenants import services as tenant_services  # noqa: E402
from apps.tenants.models import Tenant  # noqa: E402
from tests.campaigns.stub_resend import StubResend  # noqa: E402
from tests.campaigns.support import verified_sending_domain  # noqa: E402

HTML = (
    '<p>Hi {{ lead.first_name|default:"there" }},</p><p>We noticed {{ lead.company }} '
    "builds with Django. Our upgrade review takes a day.</p>"
    '<p><a href="https://acme.example/offer?utm_source=strato">See the offer</a></p>'
)


def setup_tenant() -> Tenant:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    tenant_services.tenancy_bootstrap()
    call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
    tenant = tenant_services.tenant_provision(
        name=f"Bench Send {RUN_ID}", slug=f"bench-send-{RUN_ID}"
    )
    Tenant.objects.filter(pk=tenant.pk).update(postal_address="1 Bench Street\nLondon")
    tenant.refresh_from_db()
    billing_plan_set(tenant=tenant, plan_code="enterprise")
    return tenant


def make_leads(count: int, prefix: str) -> None:
    batch = 10_000
    for start in range(0, count, batch):
        Lead.objects.bulk_create(
            [
                Lead(
                    email=f"{prefix}{i}@bench.example",
                    first_name=f"Name{i}",
                    company=f"Co {i}",
                    tags=[prefix],
                )
                for i in range(start, min(count, start + batch))
            ],
            batch_size=batch,
        )


def start_workers(stub: StubResend) -> subprocess.Popen:
    celery = Path(sys.executable).parent / "celery"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "strato.settings.bench",
        "CAMPAIGN_TRANSPORT": "resend",
        "RESEND_API_URL": stub.url,
        "RESEND_API_KEY": "re_bench",
        "RESEND_RATE_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            str(celery),
            "-A",
            "strato",
            "worker",
            "-P",
            "prefork",
            "-c",
            str(CONCURRENCY),
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "WARNING",
            "-n",
            f"bench-send-{RUN_ID}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def rss_mb(process: psutil.Process) -> dict[int, float]:
    out = {}
    try:
        for proc in [process, *process.children(recursive=True)]:
            out[proc.pid] = proc.memory_info().rss / 1024 / 1024
    except psutil.NoSuchProcess:
        pass
    return out


def cpu_seconds(processes) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_processes() -> list[psutil.Process]:
    return [
        p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")
    ]


def run_strato(tenant: Tenant, stub: StubResend) -> dict:
    verified_sending_domain(tenant, "acme.example")
    connection.set_tenant(tenant)
    template = services.template_create(
        name="Bench", subject="Hello {{ lead.first_name }}", html=HTML
    )
    segment = services.segment_create(name="bench", filters={"tags_any": ["s"]})
    campaign = services.campaign_create(
        name="Bench", template=template, segment=segment, from_email="Acme <news@acme.example>"
    )
    workers = start_workers(stub)
    master = psutil.Process(workers.pid)
    time.sleep(3)  # let the pool boot before the clock starts
    peak: dict[int, float] = {}
    killed = None
    me = psutil.Process()
    cpu_before = {
        "bench_and_stub": cpu_seconds([me]),
        "postgres": cpu_seconds(postgres_processes()),
    }
    seen_workers: dict[int, psutil.Process] = {}
    started = time.perf_counter()
    services.campaign_send_now(campaign=campaign, tenant=tenant)
    try:
        while True:
            for pid, mb in rss_mb(master).items():
                peak[pid] = max(peak.get(pid, 0.0), mb)
            for proc in [master, *master.children()]:
                seen_workers[proc.pid] = proc
            worker_cpu = {pid: cpu_seconds([proc]) for pid, proc in seen_workers.items()}
            sent = len(stub.delivered)
            if KILL_AT and killed is None and sent >= LEADS * KILL_AT:
                children = master.children()
                if children:
                    killed = children[0].pid
                    os.kill(killed, signal.SIGKILL)
            status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True)[0]
            if status == "sent":
                break
            if time.perf_counter() - started > TIMEOUT:
                print(f"timeout: {sent} delivered, status {status}", file=sys.stderr)
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        cpu = {
            "workers": round(sum(worker_cpu.values()), 1),
            "bench_and_stub": round(cpu_seconds([me]) - cpu_before["bench_and_stub"], 1),
            "postgres": round(cpu_seconds(postgres_processes()) - cpu_before["postgres"], 1),
        }
    finally:
        workers.send_signal(signal.SIGTERM)
        try:
            workers.wait(timeout=30)
        except subprocess.TimeoutExpired:
            workers.kill()
    recipients = [e["to"][0] for e in stub.delivered]
    unique = set(recipients)
    expected = {f"s{i}@bench.example" for i in range(LEADS)}
    return {
        "elapsed_s": round(elapsed, 2),
        "delivered": len(recipients),
        "emails_per_s": round(len(unique & expected) / elapsed, 1),
        "duplicates": len(recipients) - len(unique),
        "lost": len(expected - unique),
        "peak_rss_mb": round(max(peak.values()), 1) if peak else None,
        "peak_rss_mb_by_process": sorted(round(v, 1) for v in peak.values()),
        "api_calls": sum(1 for c in stub.calls if c["status"] == 200),
        "replayed_batches": sum(1 for c in stub.calls if c.get("replay")),
        "killed_worker_pid": killed,
        "cpu_s": cpu,
        "messages_sent": Message.objects.filter(campaign=campaign, status="sent").count(),
    }


def run_baseline(tenant: Tenant, stub: StubResend) -> dict:
    """The naive loop: render, then one anymail API call per lead."""
    from django.core.mail import EmailMultiAlternatives, get_connection

    from apps.campaigns import tracking

    connection.set_tenant(tenant)
    template = services.template_create(
        name="Baseline", subject="Hello {{ lead.first_name }}", html=HTML
    )
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "RESEND_API_KEY": "re_bench",
        "RESEND_API_URL": stub.url + "/",
    }
    backend = get_connection("anymail.backends.resend.EmailBackend")
    before = len(stub.delivered)
    base = tracking.public_base_url()
    leads = Lead.objects.filter(tags__contains=["b"]).order_by("id")[:BASELINE_LEADS]
    started = time.perf_counter()
    for index, lead in enumerate(leads):
        rendered = services.render_message(
            tenant=tenant,
            subject=template.subject,
            html=template.html,
            text=template.text,
            lead=lead,
            campaign_name="Baseline",
            message_id=index + 1,
            base=base,
        )
        message = EmailMultiAlternatives(
            rendered.subject,
            rendered.text,
            "Acme <news@acme.example>",
            [lead.email],
            connection=backend,
        )
        message.attach_alternative(rendered.html, "text/html")
        message.send()
    elapsed = time.perf_counter() - started
    sent = len(stub.delivered) - before
    return {
        "baseline_emails_per_s": round(sent / elapsed, 1),
        "baseline_sent": sent,
        "baseline_elapsed_s": round(elapsed, 2),
    }


def main() -> None:
    tenant = setup_tenant()
    connection.set_tenant(tenant)
    make_leads(LEADS, "s")
    make_leads(BASELINE_LEADS, "b")
    stub = StubResend()
    stub.record_bodies = False
    stub.start()
    try:
        strato = run_strato(tenant, stub)
        baseline = run_baseline(tenant, stub)
    finally:
        stub.stop()
    print(
        f"Strato: {LEADS} emails in {strato['elapsed_s']} s = {strato['emails_per_s']}/s "
        f"({strato['api_calls']} batch calls, {strato['replayed_batches']} replayed after "
        f"killing worker {strato['killed_worker_pid']}); peak RSS per worker process "
        f"{strato['peak_rss_mb_by_process']} MB; CPU seconds {strato['cpu_s']} in "
        f"{strato['elapsed_s']} s on {psutil.cpu_count()} cores"
    )
    print(
        f"Baseline (one anymail call per lead): {baseline['baseline_sent']} emails in "
        f"{baseline['baseline_elapsed_s']} s = {baseline['baseline_emails_per_s']}/s"
    )
    result = {
        "leads": LEADS,
        "emails_per_s": strato["emails_per_s"],
        "baseline_emails_per_s": baseline["baseline_emails_per_s"],
        "speedup": round(strato["emails_per_s"] / baseline["baseline_emails_per_s"], 1),
        "peak_rss_mb": strato["peak_rss_mb"],
        "duplicates": strato["duplicates"],
        "lost": strato["lost"],
        "worker_killed": strato["killed_worker_pid"] is not None,
        "replayed_batches": strato["replayed_batches"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
