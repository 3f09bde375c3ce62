"""The technology detector against the labelled corpus and targeted edge cases (no Django)."""

from __future__ import annotations

import json
import os
import pickle
import signal
from pathlib import Path

import pytest

from apps.repos.detector import analyse, load_catalogue, sharing, walker
from apps.repos.detector.catalogue import CATEGORIES
from apps.repos.detector.parsers.containers import split_image
from apps.repos.detector.parsers.environment import is_placeholder
from apps.repos.detector.parsers.ruby import parse_gemfile
from apps.repos.detector.signals import REPORT_THRESHOLD, Ecosystem, Kind

CORPUS = Path(__file__).parent / "corpus"
CORPUS_REPOS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())


def expected(repo: str) -> dict:
    return json.loads((CORPUS / repo / "expected.json").read_text())


@pytest.fixture(scope="module")
def reports() -> dict:
    return {repo: analyse(CORPUS / repo) for repo in CORPUS_REPOS}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


# Corpus ------------------------------------------------------------------------------------------


def test_corpus_has_at_least_25_labelled_repositories():
    assert len(CORPUS_REPOS) >= 25
    assert all((CORPUS / repo / "expected.json").is_file() for repo in CORPUS_REPOS)


@pytest.mark.parametrize("repo", CORPUS_REPOS)
def test_corpus_expected_technologies_are_found(repo, reports):
    missing = set(expected(repo)["technologies"]) - reports[repo].slugs()
    assert not missing, f"{repo}: not detected {sorted(missing)}"


@pytest.mark.parametrize("repo", CORPUS_REPOS)
def test_corpus_absent_technologies_are_not_reported(repo, reports):
    false_positives = set(expected(repo)["absent"]) & reports[repo].slugs()
    assert not false_positives, f"{repo}: wrongly detected {sorted(false_positives)}"


@pytest.mark.parametrize("repo", CORPUS_REPOS)
def test_corpus_primary_language(repo, reports):
    languages = [share.name for share in reports[repo].languages]
    assert languages[:1] == expected(repo)["languages"][:1]


@pytest.mark.parametrize("repo", [repo for repo in CORPUS_REPOS if "components" in expected(repo)])
def test_corpus_monorepo_components_keep_their_own_technologies(repo, reports):
    report = reports[repo]
    for path, slugs in expected(repo)["components"].items():
        component = report.component(path)
        assert component is not None, f"{repo}: no component {path}"
        found = {detection.slug for detection in component.technologies}
        assert set(slugs) <= found, f"{repo}/{path}: missing {sorted(set(slugs) - found)}"
        absent = set(expected(repo).get("components_absent", {}).get(path, ()))
        assert not absent & found, f"{repo}/{path}: leaked {sorted(absent & found)}"


# Confidence and evidence -------------------------------------------------------------------------


def test_confidence_follows_the_evidence_order(tmp_path):
    write(
        tmp_path,
        {
            "package.json": json.dumps({"dependencies": {"express": "4.19.2"}}),
            ".eslintrc.json": "{}",
            "infra/main.tf": "# nothing declared yet\n",
            "README.md": "We might move the queue to Kafka.\n",
        },
    )
    report = analyse(tmp_path)
    dependency = report.get("express").confidence
    config_file = report.get("eslint").confidence
    file_name = report.get("terraform").confidence
    assert dependency == pytest.approx(0.9)
    assert config_file == pytest.approx(0.75)
    assert file_name == pytest.approx(0.5)
    assert report.get("kafka") is None  # a README mention alone stays below the threshold


def test_pieces_of_evidence_combine(tmp_path):
    write(
        tmp_path,
        {
            "package.json": json.dumps({"devDependencies": {"jest": "29.7.0"}}),
            "jest.config.js": "module.exports = {};\n",
        },
    )
    jest = analyse(tmp_path).get("jest")
    assert jest.confidence == pytest.approx(1 - (1 - 0.85) * (1 - 0.75), abs=1e-3)
    assert {(e.kind, e.file) for e in jest.evidence} == {
        ("dev-dependency", "package.json"),
        ("config-file", "jest.config.js"),
    }


def test_a_dependency_outweighs_a_readme_mention(tmp_path):
    write(
        tmp_path,
        {
            "requirements.txt": "flask==3.0.3\n",
            "README.md": "Built with Flask, deployed next to a Django admin.\n",
        },
    )
    report = analyse(tmp_path)
    flask = report.get("flask")
    assert flask.confidence == pytest.approx(1 - (1 - 0.9) * (1 - 0.1), abs=1e-3)
    assert [e.kind for e in flask.evidence] == ["dependency", "readme"]
    assert report.get("django") is None


def test_confidences_are_probabilities_and_sorted(reports):
    for report in reports.values():
        confidences = [detection.confidence for detection in report.technologies]
        assert all(REPORT_THRESHOLD <= c <= 1 for c in confidences)
        assert confidences == sorted(confidences, reverse=True)


def test_every_detection_explains_itself(reports):
    detection = reports["django-drf-postgres"].get("postgresql")
    assert detection.category == "database"
    assert detection.components == ["."]
    matches = {(e.file, e.kind, e.match) for e in detection.evidence}
    assert ("requirements/base.txt", "dependency", "psycopg@3.1.19") in matches
    assert ("docker-compose.yml", "image", "postgres@16") in matches
    assert (".github/workflows/ci.yml", "image", "postgres@16") in matches


# Versions and implications -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repo", "slug", "version"),
    [
        ("nextjs-tailwind-app", "next.js", "14.2.3"),  # lockfile and package.json agree
        ("nextjs-tailwind-app", "react", "18.3.1"),  # ^18.3.1 resolved by the lockfile
        ("django-drf-postgres", "django", "5.0.6"),  # through requirements.txt -r includes
        ("django-drf-postgres", "postgresql", "16"),  # postgres:16-alpine image tag
        ("django-drf-postgres", "python", "3.12"),  # FROM python:${PYTHON_VERSION}-slim with ARG
        ("rails-sidekiq", "rails", "7.1.3.4"),  # Gemfile.lock beats "~> 7.1.3"
        ("rails-sidekiq", "ruby", "3.3.1"),
        ("spring-boot-maven", "spring-boot", "3.3.0"),  # <parent> version
        ("spring-boot-maven", "testcontainers", "1.19.8"),  # ${testcontainers.version} property
        ("ktor-gradle-kts", "ktor", "2.3.11"),  # version.ref in libs.versions.toml
        ("dotnet-webapi", ".net", "8.0"),
        ("dotnet-webapi", "entity-framework", "8.0.6"),
        ("go-gin-service", "gin", "1.10.0"),
        ("spring-boot-maven", "java", "21"),  # <java.version> property
        ("fastapi-poetry", "python", "3.11"),  # the python image; ^3.11 in Poetry agrees
        ("elixir-phoenix", "phoenix", "1.7.12"),
    ],
)
def test_versions_are_extracted(repo, slug, version, reports):
    assert reports[repo].get(slug).version == version


def test_client_libraries_and_actions_do_not_version_what_they_use(reports):
    report = reports["django-drf-postgres"]
    assert report.get("aws").version is None  # boto3==1.34.110 is not "AWS 1.34"
    assert report.get("sentry").version is None  # sentry-sdk==2.3.1 is not Sentry 2.3
    assert report.get("github-actions").version is None
    assert reports["terraform-aws-infra"].get("aws").version is None  # provider ~> 5.50


def test_implied_technologies_carry_the_implying_evidence(reports):
    report = reports["nextjs-tailwind-app"]
    implied = [e for e in report.get("react").evidence if e.kind == "implied"]
    assert [(e.file, e.match) for e in implied] == [("package.json", "implied by next.js")]
    chain = reports["django-drf-postgres"]
    assert "implied by django-rest-framework" in {e.match for e in chain.get("django").evidence}
    assert "implied by django" in {e.match for e in chain.get("python").evidence}


def test_implication_alone_reports_a_technology(tmp_path):
    write(tmp_path, {"Cargo.toml": '[package]\nname = "x"\n\n[dependencies]\naxum = "0.7"\n'})
    report = analyse(tmp_path)
    assert {"axum", "tokio", "rust"} <= report.slugs()
    assert [e.kind for e in report.get("tokio").evidence] == ["implied"]


# Manifest parsers --------------------------------------------------------------------------------


def test_gemfile_every_quoting_style():
    gemfile = """
source "https://rubygems.org"
gem "rails", "~> 7.1"
gem 'pg'
gem("puma", ">= 6")
gem %q(sidekiq)
gem %q{redis}, "5.2.0"
gem %Q[devise]
gem %q<stripe>
gem %(pundit)
gem 'aws-sdk-s3', require: false
group :development, :test do
  gem "rspec-rails"
end
"""
    manifest = parse_gemfile(gemfile, Path("Gemfile"))
    names = [signal.name for signal in manifest.signals]
    assert names == ["rails", "pg", "puma", "sidekiq", "redis", "devise", "stripe", "pundit",
                     "aws-sdk-s3", "rspec-rails"]  # fmt: skip
    by_name = {signal.name: signal for signal in manifest.signals}
    assert by_name["rails"].version == "7.1"
    assert by_name["redis"].version == "5.2.0"
    assert by_name["rspec-rails"].kind is Kind.DEV_DEPENDENCY
    assert by_name["pg"].kind is Kind.DEPENDENCY
    assert all(signal.ecosystem is Ecosystem.RUBYGEMS for signal in manifest.signals)


def test_requirements_follow_includes_but_not_out_of_the_checkout(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("django==5.0\n")
    repo = write(
        tmp_path / "repo",
        {
            "requirements.txt": "-r deps/common.in\n--requirement=deps/extra.in\nflask==3.0.3\n",
            "deps/common.in": "-r ../requirements.txt\ncelery[redis]==5.4.0\n",  # a cycle
            "deps/extra.in": "-r ../../outside.txt\nsentry-sdk==2.3.1\n",
        },
    )
    report = analyse(repo)
    assert {"flask", "celery", "redis", "sentry"} <= report.slugs()
    assert report.get("celery").version == "5.4.0"
    assert report.get("django") is None


def test_malformed_manifests_warn_and_the_analysis_continues(reports):
    report = reports["trap-broken-manifests"]
    warned_files = {warning.split(":", 1)[0] for warning in report.warnings}
    assert warned_files == set(expected("trap-broken-manifests")["warnings"])
    assert {"flask", "redis"} <= report.slugs()
    # A broken file proves nothing: not even the tool it belongs to.
    assert not {"composer", "maven", "docker-compose", "node.js"} & report.slugs()


def test_pyproject_flavours(reports):
    poetry = reports["fastapi-poetry"]
    assert {"fastapi", "mypy", "black", "poetry"} <= poetry.slugs()
    assert poetry.get("fastapi").version == "0.111.0"
    uv = reports["flask-uv-pep621"]
    assert {"flask", "ruff", "uv", "hatch"} <= uv.slugs()
    assert uv.get("sqlalchemy").version is None  # flask-sqlalchemy==3.1.1 is not SQLAlchemy 3.1


def test_docker_images_are_normalised():
    assert split_image("docker.io/library/redis:7.2") == ("redis", "7.2")
    assert split_image("mcr.microsoft.com/dotnet/aspnet:8.0") == ("dotnet/aspnet", "8.0")
    assert split_image("ghcr.io/acme/app@sha256:abc") == ("acme/app", None)
    assert split_image("localhost:5000/postgres:16-alpine") == ("postgres", "16")
    assert split_image("${BASE_IMAGE}") is None


def test_kubernetes_helm_and_templates(reports):
    report = reports["k8s-helm-platform"]
    assert report.warnings == []  # Helm templates are not YAML and are not reported as broken
    assert report.get("nginx").version == "1.27"
    assert {e.file for e in report.get("postgresql").evidence} == {"charts/shop/Chart.yaml"}


# Precision traps ---------------------------------------------------------------------------------


def test_placeholders_never_prove_a_service(reports):
    report = reports["trap-env-placeholders"]
    assert report.slugs() == {"node.js", "javascript"}
    assert is_placeholder("your-stripe-secret-key")
    assert is_placeholder("<your secret>")
    assert is_placeholder("")
    assert not is_placeholder("postgres://app@db:5432/app")


def test_weak_locations_only_weaken(tmp_path):
    write(
        tmp_path,
        {
            "examples/demo/package.json": json.dumps({"dependencies": {"vue": "3.4.0"}}),
            "docs/requirements.txt": "sphinx==7.3.7\n",
        },
    )
    assert analyse(tmp_path).technologies == []
    write(tmp_path, {"package.json": json.dumps({"dependencies": {"vue": "3.4.0"}})})
    vue = analyse(tmp_path).get("vue")
    weak = [e for e in vue.evidence if e.weak]
    assert [e.file for e in weak] == ["examples/demo/package.json"]
    assert vue.confidence == pytest.approx(1 - (1 - 0.9) * (1 - 0.9 * 0.3), abs=1e-3)


def test_vendored_and_generated_code_is_not_counted(reports):
    report = reports["trap-vendored"]
    assert [share.name for share in report.languages] == ["Go"]
    go = report.languages[0]
    assert go.files == 1  # vendor/github.com/lib/pq/conn.go is not the project's code


def test_binary_and_empty_repositories(reports):
    for repo in ("trap-binary-only", "trap-empty", "trap-readme-only"):
        assert reports[repo].technologies == []
        assert reports[repo].languages == []


# Languages ---------------------------------------------------------------------------------------


def test_language_shares_by_bytes_with_shebangs_and_headers(tmp_path):
    write(
        tmp_path,
        {
            "src/engine.cpp": "int main() { return 0; }\n" * 10,  # 250 bytes
            "src/engine.h": "#pragma once\n" * 5,  # 65 bytes, attributed to C++
            "scripts/deploy": "#!/usr/bin/env bash\necho deploy\n",  # 32 bytes, Shell by shebang
            "data/points.json": "[1, 2, 3]\n" * 100,  # data: not counted
            "README.md": "# Engine\n" * 100,  # prose: not counted
        },
    )
    languages = {share.name: share for share in analyse(tmp_path).languages}
    assert set(languages) == {"C++", "Shell"}
    assert languages["C++"].bytes == 315
    assert languages["C++"].files == 2
    assert languages["Shell"].bytes == 32
    assert languages["C++"].share == pytest.approx(315 / 347, abs=1e-4)


def test_documentation_build_wrappers_and_binaries_are_not_counted(tmp_path):
    write(
        tmp_path,
        {
            "web/page.html": "<p>x</p>\n" * 10,  # 90 bytes of markup: counted
            "web/README.html": "<p>Docs</p>\n" * 50,  # documentation, whatever its extension
            "web/LICENSE.txt": "MIT\n",
            "gradlew.bat": "@echo off\n" * 50,  # a build wrapper, not the project's code
            "tools/build.bat": "@echo off\n",  # 10 bytes of Batchfile: counted
            "tools/build.generated.bat": "@echo off\n" * 9,
            "docs/guide.bat": "@echo off\n" * 9,  # example code is weak evidence, not code
        },
    )
    (tmp_path / "web" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    languages = {share.name: (share.bytes, share.files) for share in analyse(tmp_path).languages}
    assert languages == {"HTML": (90, 1), "Batchfile": (10, 1)}


def test_readmes_are_read_whatever_the_case_of_their_name(tmp_path):
    write(
        tmp_path,
        {
            "requirements.txt": "flask==3.0.3\n",
            "Readme.md": "Built with Flask.\n",
            "api/requirements.txt": "fastapi==0.111.0\n",
            "api/README.rst": "A FastAPI service.\n",
        },
    )
    report = analyse(tmp_path)
    assert [(e.file, e.kind) for e in report.get("flask").evidence] == [
        ("requirements.txt", "dependency"),
        ("Readme.md", "readme"),
    ]
    assert ("api/README.rst", "readme") in {
        (e.file, e.kind) for e in report.get("fastapi").evidence
    }


def test_manifests_are_read_with_universal_newlines(tmp_path):
    (tmp_path / "requirements.txt").write_bytes(b"flask==3.0.3\r\nredis==5.0.4\rcelery==5.4.0\r\n")
    report = analyse(tmp_path)
    assert {"flask", "redis", "celery"} <= report.slugs()
    assert report.get("celery").version == "5.4.0"


def test_symlinks_are_not_followed(tmp_path):
    outside = write(
        tmp_path / "outside", {"package.json": json.dumps({"dependencies": {"koa": "2"}})}
    )
    repo = write(tmp_path / "repo", {"main.py": "print('hi')\n"})
    os.symlink(outside, repo / "linked")
    assert "koa" not in analyse(repo).slugs()


def test_report_serialises_to_json(reports):
    data = json.loads(json.dumps(reports["turborepo-monorepo"].to_dict()))
    assert {"languages", "technologies", "components"} <= data.keys()
    next_js = next(t for t in data["technologies"] if t["slug"] == "next.js")
    assert next_js["components"] == ["apps/web"]
    assert {"file", "kind", "match", "weight", "weak"} == next_js["evidence"][0].keys()


def large_tree(root: Path) -> dict[str, str]:
    files = {"package.json": json.dumps({"workspaces": ["packages/*"]}), "README.md": "# Big\n"}
    packages = walker.SPLIT_MIN_PENDING_DIRECTORIES + 12
    for number in range(packages):
        package = f"pkg-{number:02}"
        files[f"{package}/package.json"] = json.dumps(
            {"name": package, "dependencies": {"react": "18.3.1" if number % 2 else "18.2.0"}}
        )
        files[f"{package}/src/index.ts"] = "export const value = 1;\n" * (number + 1)
        files[f"{package}/src/{number}/deep.py"] = "print('x')\n" * number
    files["svc-7/requirements.txt"] = "django==5.0\n"
    files["svc-9/Dockerfile"] = "FROM postgres:16\n"
    write(root, files)
    return files


FORKS: list[int] = []
os.register_at_fork(after_in_parent=lambda: FORKS.append(1))


@pytest.fixture
def forks() -> list[int]:
    """The processes forked from now on, with no helper process yet (one is forked, then kept)."""
    sharing._discard_helper()
    FORKS.clear()
    return FORKS


def test_a_large_tree_walked_with_the_helper_process_reports_the_same(tmp_path, monkeypatch, forks):
    files = large_tree(tmp_path)
    packages = walker.SPLIT_MIN_PENDING_DIRECTORIES + 12

    split = analyse(tmp_path).to_dict()
    assert len(forks) == 1, "the walk was not shared with a helper process"
    assert analyse(tmp_path).to_dict() == split
    assert len(forks) == 1, "the helper process was not kept for the next analysis"
    monkeypatch.setattr(walker, "SPLIT_MIN_PENDING_DIRECTORIES", 10**9)
    single = analyse(tmp_path).to_dict()

    assert split == single
    assert split["files_scanned"] == len(files)
    slugs = {technology["slug"] for technology in split["technologies"]}
    assert {"react", "django", "postgresql", "typescript"} <= slugs
    assert len(split["components"]) == 1 + packages + 1  # the root, each package and svc-7


def test_a_helper_that_dies_leaves_its_shares_here_and_is_replaced(tmp_path, monkeypatch, forks):
    files = large_tree(tmp_path)
    expected = analyse(tmp_path).to_dict()
    sent = []

    class PicklerDyingOnTheSecondShare(pickle.Pickler):  # only the helper pickles
        def dump(self, obj):
            if sent:
                raise OSError("pipe closed")
            sent.append(1)
            super().dump(obj)

    sharing._discard_helper()  # the next helper is forked with the broken pickler
    monkeypatch.setattr(pickle, "Pickler", PicklerDyingOnTheSecondShare)
    assert analyse(tmp_path).to_dict() == expected
    assert sharing._helper is None, "a failed helper is not used again"
    monkeypatch.undo()

    assert analyse(tmp_path).to_dict() == expected
    helper = sharing._helper
    os.kill(helper.pid, signal.SIGKILL)  # dies between two analyses
    os.waitpid(helper.pid, 0)
    report = analyse(tmp_path).to_dict()

    assert report == expected
    assert report["files_scanned"] == len(files)
    assert sharing._helper is None or sharing._helper.pid != helper.pid


def test_a_forked_process_does_not_share_the_helper(tmp_path):
    large_tree(tmp_path)
    analyse(tmp_path)
    assert sharing._helper is not None
    pid = os.fork()
    if pid == 0:
        os._exit(0 if sharing._helper is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_helper_keeps_none_of_the_descriptors_it_inherited(tmp_path, forks):
    large_tree(tmp_path)
    inherited_read, inherited_write = os.pipe()  # a connection the analysing process holds
    os.set_inheritable(inherited_write, True)
    try:
        analyse(tmp_path)
        helper_descriptors = os.listdir(f"/proc/{sharing._helper.pid}/fd")
    finally:
        os.close(inherited_write)
    os.set_blocking(inherited_read, False)
    closed_everywhere = os.read(inherited_read, 1) == b""  # EOF: no process holds the write end
    os.close(inherited_read)

    assert closed_everywhere
    assert len(helper_descriptors) == 4  # the standard streams and its socket


def test_a_truncated_message_from_the_helper_is_not_merged():
    first = walker.Scan(component_roots=["a"], files_scanned=3)
    second = walker.Scan(component_roots=["b"], files_scanned=4)
    read, write_end = os.pipe()
    outbox = sharing._Outbox(write_end)
    outbox.send(7, first)
    outbox.send(8, second)
    os.close(write_end)
    sent = os.read(read, 1 << 16)
    os.close(read)
    read, write_end = os.pipe()
    os.write(write_end, sent[:-5])  # the helper died before the end of its second message
    os.close(write_end)
    merged = walker.Scan()

    numbers = sharing._Inbox(read, merged.merge).receive()
    os.close(read)

    assert numbers == [7]
    assert (merged.component_roots, merged.files_scanned) == (["a"], 3)


def test_the_screen_for_an_extension_keeps_every_name_a_pattern_matches():
    catalogue = load_catalogue()
    index = walker._file_index(catalogue)
    patterns = [pattern for pattern, _ in catalogue.file_patterns] + list(walker.RULES)
    names = [
        pattern.replace("*", "abc").replace("?", "z") for pattern in patterns if "/" not in pattern
    ] + ["main.py", "mod123.ts", "webpack.config.js", "eslint.config.mjs", "app.versions.toml"]

    matched = {name for name in names if index.match(name, [])}
    assert {"webpack.config.js", "eslint.config.mjs", "requirementsabc.txt"} <= matched

    for name in names:
        extension = name[name.rfind(".") :] if name.rfind(".") > 0 else ""
        screen = index.screen_for_extension(extension)
        passes = screen is not None and screen(name) is not None
        assert passes or name not in matched, name
    assert not index.screen_for_extension(".py")("main.py")
    assert not index.screen_for_extension(".ts")("mod123.ts")


def test_not_a_directory(tmp_path):
    with pytest.raises(NotADirectoryError):
        analyse(tmp_path / "missing")


# Catalogue ---------------------------------------------------------------------------------------


def test_catalogue_is_large_and_consistent():
    catalogue = load_catalogue()
    assert len(catalogue.technologies) >= 300
    for technology in catalogue.technologies.values():
        assert technology.slug == technology.slug.lower().strip()
        assert technology.category in CATEGORIES
    for slug in ("next.js", "django-rest-framework", "postgresql", "github-actions", "c#", "aws",
                 "kubernetes", "terraform", "redis", "docker"):  # fmt: skip
        assert slug in catalogue.technologies
    assert catalogue.lookup(Ecosystem.NPM, "@aws-sdk/client-sqs") == ["aws-sqs"]
    assert catalogue.lookup(Ecosystem.GO, "github.com/aws/aws-sdk-go-v2/service/s3") == ["aws-s3"]
    assert catalogue.lookup(Ecosystem.PYPI, "Django_REST_framework") == []
    assert catalogue.lookup(Ecosystem.PYPI, "DjangoRestFramework") == ["django-rest-framework"]


def test_yaml_alias_bombs_are_cheap(tmp_path):
    levels = ['a0: &a0 ["image: x"]'] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)
    ]
    write(tmp_path, {".gitlab-ci.yml": "\n".join(levels) + "\nimage: python:3.12\n"})
    report = analyse(tmp_path)  # 10^8 paths if expanded; one visit per node here
    assert report.get("python").version == "3.12"
    assert "gitlab-ci" in report.slugs()
