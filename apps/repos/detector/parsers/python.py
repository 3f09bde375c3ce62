"""PyPI: requirements (with -r includes), pyproject.toml, Pipfile, setup.py/setup.cfg, lockfiles."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from ..signals import Ecosystem, Kind, Manifest, ManifestError
from .common import as_dict, as_list, clean_version, load_json, load_toml

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement)[\s=]+(\S+)")
_PIN = re.compile(r"^\s*(?:===?|~=)\s*([^\s,;]+)")
MAX_INCLUDE_DEPTH = 5

# setup.cfg sections that show a tool is configured, and the tool's name.
SETUP_CFG_TOOL_SECTIONS = {
    "flake8": "flake8", "mypy": "mypy", "tool:pytest": "pytest", "isort": "isort",
    "coverage:run": "coverage", "pycodestyle": "pycodestyle", "pylint": "pylint",
    "bdist_wheel": "setuptools",
}  # fmt: skip


# Extras often name the service a package is installed for: celery[redis], sentry-sdk[flask].
EXTRA_FACTOR = 0.7


def requirement(line: str) -> tuple[str, str | None, list[str]] | None:
    """(name, pinned version, extras) of a PEP 508 requirement, or None if it names nothing."""
    line = line.split(" #", 1)[0].strip()
    if not line or line.startswith("#"):
        return None
    egg = _EGG.search(line)
    if egg:
        return egg.group(1), None, []
    if line.startswith("-") or "://" in line.split("@", 1)[0]:
        return None
    match = _REQUIREMENT.match(line)
    if match is None:
        return None
    name, extras, rest = match.groups()
    pin = _PIN.match(rest.split(";", 1)[0])
    extra_names = [extra.strip() for extra in (extras or "").split(",") if extra.strip()]
    return name, pin.group(1) if pin else None, extra_names


def _add_requirement(manifest: Manifest, line: str, kind: Kind) -> None:
    parsed = requirement(line)
    if parsed is None:
        return
    name, version, extras = parsed
    manifest.add(Ecosystem.PYPI, name, kind, version)
    for extra in extras:
        manifest.add(Ecosystem.PYPI, extra, kind, weight_factor=EXTRA_FACTOR)


def _add_requirements(manifest: Manifest, lines: object, kind: Kind) -> None:
    for line in as_list(lines):
        if isinstance(line, str):
            _add_requirement(manifest, line, kind)


def parse_requirements(text: str, file: Path, root: Path | None = None) -> Manifest:
    """Requirements with their ``-r`` includes; includes never leave ``root`` (the checkout)."""
    manifest = Manifest()
    boundary = (root or file.parent).resolve()
    _read_requirements(manifest, text, file, boundary, seen={file.resolve()}, depth=0)
    return manifest


def _read_requirements(
    manifest: Manifest, text: str, file: Path, boundary: Path, seen: set[Path], depth: int
) -> None:
    kind = Kind.DEV_DEPENDENCY if re.search(r"dev|test|lint|doc", file.name) else Kind.DEPENDENCY
    for line in text.splitlines():
        include = _INCLUDE.match(line)
        if include:
            target = (file.parent / include.group(1)).resolve()
            if (
                target in seen
                or depth >= MAX_INCLUDE_DEPTH
                or not target.is_relative_to(boundary)
                or not target.is_file()
            ):
                continue
            seen.add(target)
            included = target.read_text(encoding="utf-8", errors="replace")
            _read_requirements(manifest, included, target, boundary, seen, depth + 1)
        else:
            _add_requirement(manifest, line, kind)


def parse_pyproject(text: str, file: Path) -> Manifest:
    data = load_toml(text)
    project = as_dict(data.get("project"))
    tool = as_dict(data.get("tool"))
    poetry = as_dict(tool.get("poetry"))
    manifest = Manifest(project_name=project.get("name") or poetry.get("name"))
    _add_requirements(manifest, project.get("dependencies"), Kind.DEPENDENCY)
    for group in as_dict(project.get("optional-dependencies")).values():
        _add_requirements(manifest, group, Kind.DEV_DEPENDENCY)
    for group in as_dict(data.get("dependency-groups")).values():  # PEP 735, used by uv
        _add_requirements(manifest, group, Kind.DEV_DEPENDENCY)
    _add_requirements(
        manifest, as_dict(tool.get("uv")).get("dev-dependencies"), Kind.DEV_DEPENDENCY
    )
    for group in as_dict(as_dict(tool.get("pdm")).get("dev-dependencies")).values():
        _add_requirements(manifest, group, Kind.DEV_DEPENDENCY)
    _add_poetry_table(manifest, poetry.get("dependencies"), Kind.DEPENDENCY)
    _add_poetry_table(manifest, poetry.get("dev-dependencies"), Kind.DEV_DEPENDENCY)
    for group in as_dict(poetry.get("group")).values():
        _add_poetry_table(manifest, as_dict(group).get("dependencies"), Kind.DEV_DEPENDENCY)
    _add_requirements(
        manifest, as_dict(data.get("build-system")).get("requires"), Kind.DEV_DEPENDENCY
    )
    for name in tool:
        manifest.add(Ecosystem.SECTION, f"pyproject:{name}", Kind.CONFIG_SECTION)
    python = project.get("requires-python") or as_dict(poetry.get("dependencies")).get("python")
    if isinstance(python, str):
        manifest.add(
            Ecosystem.SLUG, "python", Kind.CONFIG_SECTION, clean_version(python.lstrip(">="))
        )
    return manifest


def _add_poetry_table(manifest: Manifest, table: object, kind: Kind) -> None:
    for name, spec in as_dict(table).items():
        if name.lower() == "python":
            continue
        version = spec if isinstance(spec, str) else as_dict(spec).get("version")
        manifest.add(Ecosystem.PYPI, name, kind, clean_version(version))


def parse_pipfile(text: str, file: Path) -> Manifest:
    data = load_toml(text)
    manifest = Manifest()
    for section, kind in (("packages", Kind.DEPENDENCY), ("dev-packages", Kind.DEV_DEPENDENCY)):
        _add_poetry_table(manifest, data.get(section), kind)
    python = as_dict(data.get("requires")).get("python_version")
    if isinstance(python, str):
        manifest.add(Ecosystem.SLUG, "python", Kind.CONFIG_SECTION, clean_version(python))
    return manifest


def parse_pipfile_lock(text: str, file: Path) -> Manifest:
    data = as_dict(load_json(text))
    manifest = Manifest()
    for section in ("default", "develop"):
        for name, entry in as_dict(data.get(section)).items():
            manifest.add(
                Ecosystem.PYPI, name, Kind.LOCKFILE, clean_version(as_dict(entry).get("version"))
            )
    return manifest


def parse_toml_lock(text: str, file: Path) -> Manifest:
    """poetry.lock, uv.lock and pdm.lock share the [[package]] name/version layout."""
    manifest = Manifest()
    for package in as_list(load_toml(text).get("package")):
        package = as_dict(package)
        manifest.add(
            Ecosystem.PYPI, str(package.get("name", "")), Kind.LOCKFILE, package.get("version")
        )
    return manifest


_INSTALL_REQUIRES = re.compile(
    r"(install_requires|tests_require|extras_require)\s*=\s*([\[{])", re.S
)
_QUOTED = re.compile(r"""["']([^"'\n]+)["']""")


def parse_setup_py(text: str, file: Path) -> Manifest:
    """Regex, never exec: setup.py is code and this runs on untrusted repositories."""
    manifest = Manifest()
    for match in _INSTALL_REQUIRES.finditer(text):
        closing = "]" if match.group(2) == "[" else "}"
        body = text[match.end() : text.find(closing, match.end())]
        kind = Kind.DEPENDENCY if match.group(1) == "install_requires" else Kind.DEV_DEPENDENCY
        for quoted in _QUOTED.findall(body):
            _add_requirement(manifest, quoted, kind)
    name = re.search(r"""\bname\s*=\s*["']([^"']+)["']""", text)
    manifest.project_name = name.group(1) if name else None
    return manifest


def parse_setup_cfg(text: str, file: Path) -> Manifest:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as error:
        raise ManifestError(f"invalid setup.cfg: {error}") from error
    manifest = Manifest(project_name=parser.get("metadata", "name", fallback=None))
    _add_requirements(
        manifest,
        parser.get("options", "install_requires", fallback="").splitlines(),
        Kind.DEPENDENCY,
    )
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            _add_requirements(manifest, value.splitlines(), Kind.DEV_DEPENDENCY)
    for section in parser.sections():
        if section in SETUP_CFG_TOOL_SECTIONS:
            manifest.add(
                Ecosystem.SECTION,
                f"setup.cfg:{SETUP_CFG_TOOL_SECTIONS[section]}",
                Kind.CONFIG_SECTION,
            )
    return manifest
