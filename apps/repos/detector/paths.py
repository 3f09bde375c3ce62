"""Which parts of a repository are the project's own code, Linguist-style.

Directories are pruned while walking, so nothing under ``node_modules`` or ``vendor`` is even
listed. Test fixtures and sample data are pruned too: they describe other projects. Docs and
example folders are walked, but what they show is only weak evidence and not counted as code.
"""

from __future__ import annotations

# Vendored code, dependencies, build output, caches and VCS metadata (cf. Linguist vendor.yml).
EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "bower_components", "jspm_packages", "vendor",
        "vendors", "third_party", "third-party", "thirdparty", "external", "extern", "deps",
        "dist", "build", "out", "target", "bin", "obj", "_build", ".next", ".nuxt", ".svelte-kit",
        ".output", ".vercel", ".netlify", ".serverless", ".terraform", ".terragrunt-cache",
        "__pycache__", ".venv", "venv", "virtualenv", ".tox", ".nox", ".mypy_cache",
        ".pytest_cache", ".ruff_cache", ".cache", ".parcel-cache", ".turbo", "coverage",
        "htmlcov", ".gradle", ".idea", ".vscode", ".yarn", ".pnpm-store", "Pods", "Carthage",
        "elm-stuff", ".bundle", ".stack-work", "site-packages", "wheels", ".eggs",
        "storybook-static", ".docusaurus", ".expo", ".angular", ".dart_tool",
    }
)  # fmt: skip

# Test fixtures and sample data: files that look like manifests but belong to no real project.
FIXTURE_DIRS = frozenset(
    {
        "fixtures", "fixture", "__fixtures__", "testdata", "test-data", "test_data",
        "__snapshots__", "__mocks__", "test-fixtures", "test_fixtures", "sample-data",
        "sample_data", "sampledata", "golden", "snapshots",
    }
)  # fmt: skip

# Documentation and examples: weak evidence, not counted as code.
WEAK_DIRS = frozenset(
    {
        "docs", "doc", "documentation", "examples", "example", "samples", "sample", "demo",
        "demos", "tutorial", "tutorials", "playground", "website",
    }
)  # fmt: skip

# Hidden directories that carry configuration worth reading; other dot-directories are skipped.
HIDDEN_DIRS_KEPT = frozenset(
    {".github", ".circleci", ".gitlab", ".do", ".devcontainer", ".buildkite", ".storybook",
     ".husky", ".changeset", ".platform", ".ebextensions", ".aws", ".semaphore", ".drone"}
)  # fmt: skip

# Generated files (cf. Linguist generated.rb): counted neither as code nor as evidence.
GENERATED_SUFFIXES = (
    ".min.js", ".min.css", "-min.js", ".bundle.js", "-bundle.js", ".map", "_pb2.py", "_pb2.pyi",
    "_pb2_grpc.py", ".pb.go", ".pb.gw.go", ".pb.cc", ".pb.h", ".g.dart", ".freezed.dart",
    ".designer.cs", ".g.cs", "_generated.go", ".pbobjc.h", ".pbobjc.m", "-lock.json", ".lock",
    ".snap",
)  # fmt: skip
GENERATED_NAMES = frozenset({"gradlew", "gradlew.bat", "mvnw", "mvnw.cmd"})  # build wrappers

# Prose files at any depth (README, LICENSE …), by name without extension: not code.
DOCUMENTATION_STEMS = frozenset(
    {"readme", "changelog", "changes", "history", "license", "licence", "copying", "contributing",
     "authors", "notice", "code_of_conduct", "security", "citation"}
)  # fmt: skip


def is_generated(name: str) -> bool:
    return name.endswith(GENERATED_SUFFIXES) or name in GENERATED_NAMES or ".generated." in name


def is_excluded_dir(name: str) -> bool:
    if name in EXCLUDED_DIRS or name in FIXTURE_DIRS:
        return True
    if name.endswith(".egg-info"):
        return True
    return name.startswith(".") and name not in HIDDEN_DIRS_KEPT
