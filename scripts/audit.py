"""`make audit`: the security checks of CI's security job, run locally, with one summary.

1. pip-audit: known vulnerabilities in the pinned requirements (PyPI's advisory database).
2. ruff's security rules (flake8-bandit, `S`), with the project's per-file ignores.
3. detect-secrets: no secret beyond those audited in `.secrets.baseline`.
4. `manage.py check --deploy --fail-level WARNING` under the production settings.

pip-audit needs its vulnerability database on the network. When it cannot be reached, or answers
for none of the packages, that step is reported as SKIPPED with the reason, the others still
decide the exit status: a machine without network never fails the audit for that alone.
Exit status: 1 when any step failed, else 0.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Third-party fixtures and the baseline itself (it holds the audited findings' hashes).
EXCLUDED_FROM_SECRET_SCAN = (
    r"^(tests/repos/corpus/|benchmarks/node/|\.venv/|\.data/|staticfiles/|\.secrets\.baseline$)"
)
REQUIREMENTS = ["requirements/base.txt", "requirements/prod.txt", "requirements/dev.txt"]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, **kwargs)


def pip_audit() -> tuple[str, str]:
    args = [str(BIN / "pip-audit"), "--no-deps", "--disable-pip", "--progress-spinner", "off"]
    for requirements in REQUIREMENTS:
        args += ["-r", requirements]
    try:
        result = run([*args, "--format", "json", "--timeout", "20"], timeout=600)
    except subprocess.TimeoutExpired:
        return "SKIPPED", "vulnerability database unreachable (timed out)"
    try:
        report = json.loads(result.stdout)
    except ValueError:
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return "SKIPPED", f"vulnerability database unreachable ({reason})"
    dependencies = report.get("dependencies", [])
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    if vulnerable:
        found = ", ".join(
            f"{dep['name']} {dep['version']} ({', '.join(v['id'] for v in dep['vulns'])})"
            for dep in vulnerable
        )
        return "FAILED", f"known vulnerabilities: {found}"
    if dependencies and len(skipped) == len(dependencies):
        return "SKIPPED", (
            f"vulnerability database unreachable: none of {len(dependencies)} pinned packages "
            f"could be looked up ({skipped[0]['skip_reason']})"
        )
    detail = f"{len(dependencies) - len(skipped)} packages audited, no known vulnerabilities"
    return "PASSED", detail + (f"; {len(skipped)} not found in the database" if skipped else "")


def ruff_security() -> tuple[str, str]:
    """The `S` rules under the project's ruff configuration (its ignores and per-file ignores)."""
    result = run([str(BIN / "ruff"), "check", "--output-format", "json", "."])
    try:
        findings = [item for item in json.loads(result.stdout) if item["code"].startswith("S")]
    except ValueError:
        print(result.stdout, result.stderr)
        return "FAILED", "ruff did not run"
    if not findings:
        return "PASSED", "no finding"
    for item in findings:
        print(f"{item['filename']}:{item['location']['row']}: {item['code']} {item['message']}")
    return "FAILED", f"{len(findings)} finding(s), listed above"


def secret_scan() -> tuple[str, str]:
    """detect-secrets over the tracked files; every finding must be audited in the baseline.

    A copy of `.secrets.baseline` is rescanned (the scan keeps the audited verdicts and adds new
    findings unaudited), so the audit never changes the tree.
    """
    with tempfile.TemporaryDirectory() as work:
        baseline = Path(work) / "secrets.baseline"
        shutil.copyfile(ROOT / ".secrets.baseline", baseline)
        result = run(
            [
                str(BIN / "detect-secrets"),
                "scan",
                "--baseline",
                str(baseline),
                "--exclude-files",
                EXCLUDED_FROM_SECRET_SCAN,
            ]
        )
        if result.returncode != 0:
            print(result.stdout, result.stderr)
            return "FAILED", "detect-secrets did not run"
        findings = json.loads(baseline.read_text())["results"]
    unaudited = [
        f"{path}:{item['line_number']} {item['type']}"
        for path, items in findings.items()
        for item in items
        if item.get("is_secret") is not False
    ]
    if not unaudited:
        total = sum(len(items) for items in findings.values())
        return "PASSED", f"{total} finding(s), all audited as false positives in the baseline"
    print("\n".join(unaudited))
    return "FAILED", f"{len(unaudited)} unaudited secret(s), listed above (SECURITY.md)"


def deploy_check() -> tuple[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "strato.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": "postgres://audit:audit@localhost:5432/audit",  # pragma: allowlist secret
        "REDIS_URL": "redis://localhost:6379/0",
    }
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env
    )
    if result.returncode == 0:
        return "PASSED", "no issue under strato.settings.prod"
    print(result.stdout, result.stderr)
    return "FAILED", "issues listed above"


STEPS = [
    ("pip-audit", pip_audit),
    ("ruff S rules", ruff_security),
    ("secret scan", secret_scan),
    ("check --deploy", deploy_check),
]


def main() -> int:
    results = []
    for name, step in STEPS:
        print(f"==> audit: {name}", flush=True)
        results.append((name, *step()))
    print("\nAudit summary")
    for name, status, detail in results:
        print(f"  {status:<8} {name:<15} {detail}")
    failed = [name for name, status, _ in results if status == "FAILED"]
    skipped = [name for name, status, _ in results if status == "SKIPPED"]
    verdict = "FAILED: " + ", ".join(failed) if failed else "PASSED"
    if skipped and not failed:
        verdict += f" (skipped: {', '.join(skipped)}; see the reason above)"
    print(f"audit {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
