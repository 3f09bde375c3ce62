"""Accuracy and speed of the technology detector against @specfy/stack-analyser, in one run.

Accuracy: precision, recall and F1 over the labelled corpus in tests/repos/corpus, micro-averaged.
A slug listed in a repository's "technologies" is a true positive when detected and a false
negative when not; a slug listed in "absent" is a false positive when detected. "Strict"
precision also counts every detection outside "technologies" and "optional" as a false positive.

Speed: files per second on a generated repository of more than 20,000 files, in-process on both
sides (Node's start-up and the V8 warm-up run are not charged to stack-analyser). Each round times
both tools back to back, each as the median of a few runs, so a busy spell of the machine slows
both alike; the speed-up is the median of the rounds' ratios (the ratio of the two median speeds
is printed too).

stack-analyser runs from benchmarks/node (pinned in package-lock.json, installed with `npm ci`)
when Node and npm are available; otherwise its figures are null and the JSON says why.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.repos.detector import analyse  # noqa: E402

CORPUS = ROOT / "tests" / "repos" / "corpus"
NODE_DIR = Path(__file__).resolve().parent / "node"
GENERATED_FILES = 20_500
TIMING_ROUNDS = 9
RUNS_PER_ROUND = 3
NODE_TIMEOUT_SECONDS = 900

# stack-analyser keys whose canonical slug differs from `key.lower().replace(".", "-")`.
BASELINE_SLUGS = {
    "nextjs": "next.js", "nuxtjs": "nuxt", "nodejs": "node.js", "golang": "go", "csharp": "c#",
    "cplusplus": "c++", "github.actions": "github-actions", "gitlab.ci": "gitlab-ci",
    "travisci": "travis-ci", "tailwind": "tailwindcss", "vuejs": "vue", "apache_kafka": "kafka",
    "flyio": "fly.io", "aws.dynamodb": "dynamodb", "aws.apigateway": "aws-api-gateway",
    "gcp.cloudrun": "google-cloud-run", "gcp.gcs": "google-cloud-storage",
    "gcp.appengine": "google-app-engine", "gcp.gke": "gke", "gcp.bigquery": "bigquery",
    "gcp.pubsub": "google-pub-sub", "gcp.cloudbuild": "google-cloud-build",
    "phpcomposer": "composer", "bunsh": "bun", "dieselrs": "diesel", "drizzleorm": "drizzle",
    "mochajs": "mocha", "expojs": "expo", "reactrouterdom": "react-router",
    "materialui": "material-ui", "chakraui": "chakra-ui", "testinglibrary": "testing-library",
    "remixrun": "remix", "sveltejs": "svelte", "emberjs": "ember.js", "preactjs": "preact",
    "solidjs": "solid.js", "mssql": "sql-server", "hashicorp_vault": "vault",
    "apache_cassandra": "cassandra", "apache_couchdb": "couchdb", "apache_solr": "solr",
    "apache_airflow": "airflow", "newrelic": "new-relic", "google.analytics": "google-analytics",
    "biomejs": "biome", "golangcilint": "golangci-lint", "phppest": "pest", "sequelruby": "sequel",
    "doctrinephp": "doctrine", "goent": "ent", "joijs": "joi", "nxjs": "nx", "parceljs": "parcel",
    "alpinejs": "alpine.js", "litjs": "lit", "qwikjs": "qwik", "headlessui": "headless-ui",
    "radixui": "radix-ui", "antd": "ant-design", "mantineui": "mantine", "shadcn": "shadcn-ui",
    "d3js": "d3", "fontawesome": "font-awesome", "lucideicons": "lucide", "honojs": "hono",
    "socketio": "socket.io", "cloudflare.workers": "cloudflare-workers",
    "github.pages": "github-pages", "azure.ci": "azure-devops",
    "atlassian.bitbucketpipelines": "bitbucket-pipelines", "droneci": "drone",
    "sonarcloud": "sonarqube", "github.codeql": "codeql", "neondb": "neon", "chromadb": "chroma",
    "huggingface": "hugging-face", "bash": "shell", "scss": "sass", "aspnet": "asp.net-core",
    "visualbasicnet": "visual-basic", "objectivec": "objective-c", "angular": "angular",
    "aws.amplifyhosting": "aws-amplify", "aws.cloudformation": "aws-cloudformation",
    "ovh.kubernetes": "kubernetes", "mailhog": "mailhog", "opentelemetry": "opentelemetry",
    "typesensecloud": "typesense", "meilisearchcloud": "meilisearch", "gcp": "gcp",
    "playwright": "playwright", "cypressci": "cypress", "rubyenv": "ruby", "goenv": "go",
}  # fmt: skip


def baseline_slug(key: str) -> str:
    return BASELINE_SLUGS.get(key, key.lower().replace(".", "-").replace("_", "-"))


# Accuracy ----------------------------------------------------------------------------------------


def corpus_repositories() -> list[tuple[Path, dict]]:
    return [
        (path, json.loads((path / "expected.json").read_text()))
        for path in sorted(CORPUS.iterdir())
        if (path / "expected.json").is_file()
    ]


def score(detected_by_repo: dict[str, set[str]], repos: list[tuple[Path, dict]]) -> dict:
    true_positives = false_negatives = false_positives = strict_false_positives = 0
    misses, mistakes = [], []
    for path, expected in repos:
        detected = detected_by_repo.get(path.name, set())
        wanted, absent = set(expected["technologies"]), set(expected["absent"])
        true_positives += len(wanted & detected)
        false_negatives += len(wanted - detected)
        false_positives += len(absent & detected)
        allowed = wanted | set(expected.get("optional", ()))
        strict_false_positives += len(detected - allowed)
        misses += [f"{path.name}:{slug}" for slug in sorted(wanted - detected)]
        mistakes += [f"{path.name}:{slug}" for slug in sorted(absent & detected)]
    precision = true_positives / ((true_positives + false_positives) or 1)
    recall = true_positives / ((true_positives + false_negatives) or 1)
    f1 = 2 * precision * recall / ((precision + recall) or 1)
    strict = true_positives / ((true_positives + strict_false_positives) or 1)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "strict_precision": round(strict, 4),
        "missed": misses,
        "false_positives": mistakes,
    }


# Generated repository ----------------------------------------------------------------------------


def generate_repository(root: Path, total_files: int) -> int:
    """A large polyglot monorepo: code, manifests, docs, data, binaries and vendored folders."""
    rng = random.Random(20_000)
    words = ["order", "invoice", "user", "report", "cache", "queue", "session", "payment"]

    def body(lines: int, template: str) -> str:
        return "".join(template.format(i=i, w=rng.choice(words)) for i in range(lines))

    def emit(path: Path, content: str | bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    layout = [
        ("ts", 0.25), ("py", 0.2), ("go", 0.08), ("java", 0.07), ("md", 0.06), ("json", 0.06),
        ("png", 0.04), ("yaml", 0.03), ("sh", 0.01), ("node_modules", 0.14), ("vendor", 0.06),
    ]  # fmt: skip
    written = 0
    for package in range(40):
        emit(root / f"packages/pkg-{package}/package.json", json.dumps({
            "name": f"@acme/pkg-{package}",
            "dependencies": {"react": "^18.3.1", "zod": "^3.23.8", "axios": "^1.7.2"},
            "devDependencies": {"typescript": "5.4.5", "vitest": "^1.6.0", "eslint": "^8.57.0"},
        }))  # fmt: skip
        emit(
            root / f"services/svc-{package}/pyproject.toml",
            '[project]\nname = "svc"\ndependencies = ["fastapi==0.111.0", "sqlalchemy>=2", '
            '"redis>=5", "celery==5.4.0"]\n\n[tool.ruff]\nline-length = 100\n',
        )
        emit(root / f"services/svc-{package}/Dockerfile", "FROM python:3.12-slim\nCOPY . /app\n")
        written += 3
    emit(
        root / "go.mod",
        "module example.com/acme\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.10.0\n",
    )
    emit(
        root / "pom.xml",
        "<project><dependencies><dependency><groupId>org.springframework.boot"
        "</groupId><artifactId>spring-boot-starter-web</artifactId>"
        "</dependency></dependencies></project>\n",
    )
    emit(
        root / "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n",
    )
    emit(
        root / ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n",
    )
    written += 4
    remaining = total_files - written
    for kind, share in layout:
        for index in range(int(remaining * share) + 1):
            folder = f"{index % 40}/{index % 7}"
            if kind == "ts":
                emit(
                    root / f"packages/pkg-{index % 40}/src/{index % 7}/mod{index}.ts",
                    body(12, "export const {w}{i} = (x: number): number => x * {i};\n"),
                )
            elif kind == "py":
                emit(
                    root / f"services/svc-{index % 40}/app/{index % 7}/mod{index}.py",
                    body(14, "def {w}_{i}(value: int) -> int:\n    return value + {i}\n\n"),
                )
            elif kind == "go":
                emit(
                    root / f"internal/{folder}/file{index}.go",
                    "package internal\n\n"
                    + body(10, "func {w}{i}(x int) int {{ return x + {i} }}\n"),
                )
            elif kind == "java":
                emit(
                    root / f"src/main/java/com/acme/{folder}/C{index}.java",
                    f"package com.acme;\n\npublic class C{index} {{\n"
                    + body(8, "    int {w}{i}() {{ return {i}; }}\n")
                    + "}\n",
                )
            elif kind == "md":
                emit(
                    root / f"docs/{folder}/page{index}.md",
                    body(20, "Paragraph {i} about the {w}.\n"),
                )
            elif kind == "json":
                emit(
                    root / f"data/{folder}/record{index}.json",
                    json.dumps({"id": index, "w": words}),
                )
            elif kind == "png":
                emit(
                    root / f"static/img/{folder}/icon{index}.png",
                    b"\x89PNG\r\n\x1a\n" + rng.randbytes(600),
                )
            elif kind == "yaml":
                emit(root / f"config/{folder}/settings{index}.yaml", body(10, "{w}_{i}: {i}\n"))
            elif kind == "sh":
                emit(
                    root / f"scripts/{folder}/task{index}",
                    "#!/usr/bin/env bash\nset -euo pipefail\necho run\n",
                )
            elif kind == "node_modules":
                emit(
                    root / f"node_modules/lib{index % 300}/file{index}.js",
                    body(6, "module.exports.{w}{i} = {i};\n"),
                )
            elif kind == "vendor":
                emit(
                    root / f"vendor/github.com/lib{index % 50}/file{index}.go",
                    "package lib\n" + body(6, "var {w}{i} = {i}\n"),
                )
            written += 1
    return sum(len(files) for _, _, files in os.walk(root))


# Running -----------------------------------------------------------------------------------------


def time_detector(big_repo: Path) -> float:
    seconds = []
    for _ in range(RUNS_PER_ROUND):
        started = time.perf_counter()
        analyse(big_repo)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def baseline_unavailable_reason() -> str | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed"
    if not (NODE_DIR / "node_modules" / "@specfy" / "stack-analyser").is_dir():
        install = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR, capture_output=True, text=True, timeout=NODE_TIMEOUT_SECONDS,
        )  # fmt: skip
        if install.returncode != 0:
            return f"npm ci failed: {install.stderr.strip()[-300:]}"
    return None


def run_baseline(*arguments: str) -> dict:
    completed = subprocess.run(
        ["node", str(NODE_DIR / "run.mjs"), *arguments],
        capture_output=True, text=True, timeout=NODE_TIMEOUT_SECONDS, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def baseline_detections(repos: list[tuple[Path, dict]]) -> dict[str, set[str]]:
    output = run_baseline(*(str(path) for path, _ in repos))
    return {
        Path(directory).name: {baseline_slug(key) for key in result["techs"]}
        for directory, result in output.items()
    }


def time_baseline(big_repo: Path) -> float:
    # Runs in one Node process; the first warms V8 up and is not counted.
    output = run_baseline("--repeat", str(1 + RUNS_PER_ROUND), str(big_repo))
    return statistics.median(output[str(big_repo)]["seconds"][1:])


def main() -> None:
    repos = corpus_repositories()
    baseline_note = baseline_unavailable_reason()
    with tempfile.TemporaryDirectory(prefix="stack-bench-") as temporary:
        big_repo = Path(temporary) / "monorepo"
        file_count = generate_repository(big_repo, GENERATED_FILES)
        print(f"corpus: {len(repos)} labelled repositories; generated: {file_count} files")
        ours = score({path.name: analyse(path).slugs() for path, _ in repos}, repos)
        theirs = score(baseline_detections(repos), repos) if baseline_note is None else None
        timings: list[float] = []
        baseline_timings: list[float] = []
        time_detector(big_repo)  # warm the page cache and the catalogue for both tools
        for _ in range(TIMING_ROUNDS):
            timings.append(time_detector(big_repo))
            if baseline_note is None:
                baseline_timings.append(time_baseline(big_repo))

    files_per_s = file_count / statistics.median(timings)
    print(
        f"detector: precision {ours['precision']:.3f} recall {ours['recall']:.3f} "
        f"F1 {ours['f1']:.3f} (strict precision {ours['strict_precision']:.3f})"
    )
    print(
        f"detector: {files_per_s:,.0f} files/s (median of {TIMING_ROUNDS} rounds, "
        f"{statistics.median(timings):.3f} s)"
    )
    for label in ("missed", "false_positives"):
        if ours[label]:
            print(f"detector {label}: {', '.join(ours[label])}")
    result = {
        "precision": ours["precision"],
        "recall": ours["recall"],
        "f1": ours["f1"],
        "strict_precision": ours["strict_precision"],
        "files_per_s": round(files_per_s),
        "generated_files": file_count,
        "corpus_repositories": len(repos),
    }
    if theirs is None:
        print(f"stack-analyser skipped: {baseline_note}")
        result |= {
            "baseline_precision": None, "baseline_recall": None, "baseline_f1": None,
            "baseline_files_per_s": None, "speedup": None, "baseline_note": baseline_note,
        }  # fmt: skip
    else:
        baseline_files_per_s = file_count / statistics.median(baseline_timings)
        print(
            f"stack-analyser: precision {theirs['precision']:.3f} recall "
            f"{theirs['recall']:.3f} F1 {theirs['f1']:.3f} "
            f"(strict precision {theirs['strict_precision']:.3f})"
        )
        print(
            f"stack-analyser: {baseline_files_per_s:,.0f} files/s (median of {TIMING_ROUNDS} "
            f"rounds, {statistics.median(baseline_timings):.3f} s)"
        )
        ratios = sorted(
            theirs_s / ours_s for ours_s, theirs_s in zip(timings, baseline_timings, strict=True)
        )
        speedup = statistics.median(ratios)
        print(
            f"speed-up: {speedup:.2f} (median of the rounds' ratios "
            f"{', '.join(f'{ratio:.2f}' for ratio in ratios)}; ratio of the median speeds "
            f"{files_per_s / baseline_files_per_s:.2f})"
        )
        print(f"stack-analyser missed {len(theirs['missed'])} expected technologies")
        if theirs["false_positives"]:
            print(f"stack-analyser false_positives: {', '.join(theirs['false_positives'])}")
        result |= {
            "baseline_precision": theirs["precision"],
            "baseline_recall": theirs["recall"],
            "baseline_f1": theirs["f1"],
            "baseline_strict_precision": theirs["strict_precision"],
            "baseline_files_per_s": round(baseline_files_per_s),
            "speedup": round(speedup, 2),
            "speedup_of_medians": round(files_per_s / baseline_files_per_s, 2),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
