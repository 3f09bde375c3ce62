"""Manifest parsers, and which file names each one reads.

Every parser is ``parse(text, file) -> Manifest`` and raises ``ManifestError`` on malformed input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..signals import Manifest
from . import (
    ci,
    containers,
    databases,
    dotnet,
    elixir,
    environment,
    golang,
    hosting,
    jvm,
    npm,
    php,
    python,
    ruby,
    rust,
    terraform,
)

Parser = Callable[[str, Path], Manifest]


@dataclass(frozen=True, slots=True)
class ParserRule:
    parse: Parser
    # A package manifest makes its directory a component (workspace package, service …).
    component_root: bool = False
    # The parser follows includes and must be told where the checkout ends.
    needs_root: bool = False


# File-name pattern -> the parser that reads matching files.
RULES: dict[str, ParserRule] = {}


def _register(
    patterns: tuple[str, ...], parse: Parser, component_root: bool = False, needs_root: bool = False
) -> None:
    rule = ParserRule(parse, component_root, needs_root)
    for pattern in patterns:
        RULES[pattern] = rule


_register(("package.json",), npm.parse_package_json, component_root=True)
_register(("package-lock.json", "npm-shrinkwrap.json"), npm.parse_package_lock)
_register(("yarn.lock",), npm.parse_yarn_lock)
_register(("pnpm-lock.yaml",), npm.parse_pnpm_lock)
_register(
    ("requirements*.txt", "requirements/*.txt", "requirements*.in"),
    python.parse_requirements,
    component_root=True,
    needs_root=True,
)
_register(("pyproject.toml",), python.parse_pyproject, component_root=True)
_register(("Pipfile",), python.parse_pipfile, component_root=True)
_register(("Pipfile.lock",), python.parse_pipfile_lock)
_register(("poetry.lock", "uv.lock", "pdm.lock"), python.parse_toml_lock)
_register(("setup.py",), python.parse_setup_py, component_root=True)
_register(("setup.cfg",), python.parse_setup_cfg, component_root=True)
_register(("Gemfile", "gems.rb"), ruby.parse_gemfile, component_root=True)
_register(("*.gemspec",), ruby.parse_gemspec, component_root=True)
_register(("Gemfile.lock", "gems.locked"), ruby.parse_gemfile_lock)
_register(("composer.json",), php.parse_composer_json, component_root=True)
_register(("composer.lock",), php.parse_composer_lock)
_register(("go.mod",), golang.parse_go_mod, component_root=True)
_register(("Cargo.toml",), rust.parse_cargo_toml, component_root=True)
_register(("Cargo.lock",), rust.parse_cargo_lock)
_register(("pom.xml",), jvm.parse_pom, component_root=True)
_register(("build.gradle", "build.gradle.kts"), jvm.parse_gradle, component_root=True)
_register(("settings.gradle", "settings.gradle.kts"), jvm.parse_gradle)
_register(("*.versions.toml",), jvm.parse_version_catalogue)
_register(("*.csproj", "*.fsproj", "*.vbproj"), dotnet.parse_project_file, component_root=True)
_register(
    ("packages.config", "Directory.Packages.props", "Directory.Build.props"),
    dotnet.parse_project_file,
)
_register(("mix.exs",), elixir.parse_mix_exs, component_root=True)
_register(
    ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile"),
    containers.parse_dockerfile,
)
_register(
    ("docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml"),
    containers.parse_compose,
)
_register(("Chart.yaml",), containers.parse_helm_chart)
_register(("values.yaml", "values-*.yaml", "values.*.yaml"), containers.parse_helm_values)
_register(("*.tf",), terraform.parse_terraform)
_register(
    (".github/workflows/*.yml", ".github/workflows/*.yaml", "action.yml", "action.yaml"),
    ci.parse_github_workflow,
)
_register(
    (
        ".gitlab-ci.yml",
        "bitbucket-pipelines.yml",
        ".drone.yml",
        ".woodpecker.yml",
        "azure-pipelines.yml",
    ),
    ci.parse_image_pipeline,
)
_register((".circleci/config.yml", ".circleci/config.yaml"), ci.parse_circleci)
_register((".travis.yml",), ci.parse_travis)
_register((".env", ".env.*", "*.env", "env.example", "env.sample"), environment.parse_env_file)
_register(("Procfile", "Procfile.*"), hosting.parse_procfile)
_register(("app.json",), hosting.parse_app_json)
_register(("render.yaml", "render.yml"), hosting.parse_render_yaml)
_register(("fly.toml",), hosting.parse_fly_toml)
_register(("serverless.yml", "serverless.yaml"), hosting.parse_serverless)

_register(("schema.prisma", "prisma/*.prisma"), databases.parse_prisma_schema)
_register(("config/database.yml",), databases.parse_rails_database_yml)

YAML_SUFFIXES = (".yaml", ".yml")


KUBERNETES = ParserRule(containers.parse_kubernetes)
