"""``analyse(path)``: walk, parse, map signals to technologies, score, group by component."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .languages import LanguageTable, LanguageTally, load_language_table
from .parsers import KUBERNETES
from .parsers.containers import looks_like_kubernetes
from .reading import parse, read_text
from .report import Component, Detection, Evidence, LanguageShare, Report
from .signals import (
    REPORT_THRESHOLD,
    WEAK_KINDS,
    WEAK_LOCATION_FACTOR,
    WEAK_ONLY_CAP,
    WEIGHTS,
    Kind,
    Signal,
    combine,
)
from .walker import MAX_KUBERNETES_CANDIDATE_BYTES, Located, Scan, scan

MAX_README_BYTES = 128 * 1024
MAX_EVIDENCE_LISTED = 20
IMPLICATION_ROUNDS = 5
# A language is a technology of the project when it holds at least this share of the code.
LANGUAGE_MIN_SHARE = 0.02

# When several pieces of evidence carry a version, the most precise source wins.
VERSION_PRIORITY = {
    Kind.LOCKFILE: 0,
    Kind.DEPENDENCY: 1,
    Kind.DEV_DEPENDENCY: 2,
    Kind.IMAGE: 3,
    Kind.INFRASTRUCTURE: 4,
    Kind.CONFIG_SECTION: 5,
}


@dataclass(slots=True)  # not frozen: one is made per piece of evidence, and frozen init is slow
class Observation:
    """Evidence for one technology inside one component, with the version it carried."""

    slug: str
    component: str
    evidence: Evidence
    version: str | None = None
    version_rank: int = len(VERSION_PRIORITY)


def analyse(path: str | os.PathLike[str]) -> Report:
    """Detect the languages and technologies of the checkout at ``path`` (no network)."""
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory: {root}")
    return _Analysis(root, load_catalogue(), load_language_table()).run()


class _Analysis:
    def __init__(self, root: Path, catalogue: Catalogue, languages: LanguageTable) -> None:
        self.root = root
        self.catalogue = catalogue
        self.languages = languages
        self.observations: list[Observation] = []
        self.project_names: dict[str, str] = {}
        self.manifests_by_component: dict[str, list[str]] = defaultdict(list)
        self.warnings: list[str] = []
        self.unreadable: set[str] = set()

    def run(self) -> Report:
        result = scan(self.root, self.catalogue, self.languages)
        self.warnings.extend(result.warnings)
        self._read_manifests(result)
        self._read_kubernetes_candidates(result)
        self._read_readmes(result)
        for hit in result.file_hits:
            if hit.file.relpath in self.unreadable:
                continue  # a broken package.json proves nothing, not even Node.js
            self._observe(hit.slug, hit.file, hit.kind, hit.file.relpath.rsplit("/", 1)[-1])
        repository_tally = LanguageTally()
        shares_by_component: dict[str, list[LanguageShare]] = {}
        for component_path in sorted(result.component_roots, key=lambda p: (p != ".", p)):
            tally = result.tally(component_path)
            repository_tally.merge(tally)
            shares = shares_by_component[component_path] = tally.shares()
            self._observe_languages(component_path, shares)
        languages = repository_tally.shares()
        technologies = self._detect(self.observations)
        by_component: dict[str, list[Observation]] = defaultdict(list)
        for observation in self.observations:
            by_component[observation.component].append(observation)
        report_components = [
            self._component(path, shares, by_component[path])
            for path, shares in shares_by_component.items()
        ]
        components_by_slug: dict[str, list[str]] = defaultdict(list)
        for component in report_components:
            for component_detection in component.technologies:
                components_by_slug[component_detection.slug].append(component.path)
        for detection in technologies:
            detection.components = components_by_slug.get(detection.slug) or sorted(
                {o.component for o in self.observations if o.slug == detection.slug}
            )
        return Report(
            path=str(self.root),
            languages=languages,
            technologies=technologies,
            components=[c for c in report_components if c.path == "." or c.technologies],
            warnings=self.warnings,
            files_scanned=result.files_scanned,
        )

    # Reading ---------------------------------------------------------------------------------

    def _read_text(self, file: Located, limit: int) -> str | None:
        text, warning = read_text(os.path.join(self.root, file.relpath), file.relpath, limit)
        if warning:
            self.warnings.append(warning)
        return text

    def _read_manifests(self, result: Scan) -> None:
        """Use what the walk read and parsed: warnings, broken files, names and signals."""
        for manifest_file in result.manifests:
            file = manifest_file.file
            if manifest_file.warning:
                self.warnings.append(manifest_file.warning)
            if not manifest_file.read:
                continue
            manifest = manifest_file.manifest
            if manifest is None:
                self.unreadable.add(file.relpath)
            if manifest_file.rule.component_root:
                self.manifests_by_component[file.component].append(file.relpath)
            if manifest is None:
                continue
            if (
                manifest.project_name
                and manifest_file.rule.component_root
                and (os.path.dirname(file.relpath) or ".") == file.component
            ):  # a component is named by its own manifest, not by an example folder inside it
                self.project_names.setdefault(file.component, str(manifest.project_name))
            for signal in manifest.signals:
                self._observe_signal(signal, file)

    def _read_kubernetes_candidates(self, result: Scan) -> None:
        for file in result.kubernetes_candidates:
            text = self._read_text(file, MAX_KUBERNETES_CANDIDATE_BYTES)
            if text and looks_like_kubernetes(text):
                path = os.path.join(self.root, file.relpath)
                manifest, warning = parse(KUBERNETES, text, path, file.relpath, self.root)
                if warning:
                    self.warnings.append(warning)
                    self.unreadable.add(file.relpath)
                for signal in manifest.signals if manifest else ():
                    self._observe_signal(signal, file)

    def _read_readmes(self, result: Scan) -> None:
        for file in result.readmes:
            text = self._read_text(file, MAX_README_BYTES * 64)
            if text:
                for slug in sorted(self.catalogue.readme_mentions(text[:MAX_README_BYTES])):
                    self._observe(slug, file, Kind.README, "mentioned in README")

    # Observing -------------------------------------------------------------------------------

    def _observe_signal(self, signal: Signal, file: Located) -> None:
        match = f"{signal.name}@{signal.version}" if signal.version else signal.name
        for slug, gives_version in self.catalogue.resolve(signal.ecosystem, signal.name):
            version = signal.version if gives_version else None
            self._observe(slug, file, signal.kind, match, version, signal.weight_factor)

    def _observe(
        self,
        slug: str,
        file: Located,
        kind: Kind,
        match: str,
        version: str | None = None,
        factor: float = 1.0,
    ) -> None:
        weight = WEIGHTS[kind] * factor
        if file.weak:
            weight *= WEAK_LOCATION_FACTOR
        evidence = Evidence(
            file=file.relpath,
            kind=kind.value,
            match=match,
            weight=round(weight, 3),
            weak=file.weak or kind in WEAK_KINDS,
        )
        rank = VERSION_PRIORITY.get(kind, len(VERSION_PRIORITY))
        self.observations.append(Observation(slug, file.component, evidence, version, rank))

    def _observe_languages(self, component: str, shares: list[LanguageShare]) -> None:
        for share in shares:
            language = self.languages.by_name[share.name]
            if language.slug is None or language.slug not in self.catalogue.technologies:
                continue
            strong = share.share >= LANGUAGE_MIN_SHARE
            weight = WEIGHTS[Kind.SOURCE_FILES] + 0.45 * share.share if strong else 0.2
            location = component if component != "." else ""
            evidence = Evidence(
                file=location or ".",
                kind=Kind.SOURCE_FILES.value,
                match=f"{share.files} {share.name} files, {share.bytes} bytes ({share.share:.0%})",
                weight=round(weight, 3),
                weak=not strong,
            )
            self.observations.append(Observation(language.slug, component, evidence))

    # Scoring ---------------------------------------------------------------------------------

    def _detect(self, observations: list[Observation]) -> list[Detection]:
        by_slug: dict[str, dict[tuple[str, str, str], Evidence]] = {}
        versions: dict[str, tuple[int, str]] = {}
        for observation in observations:
            slug = observation.slug
            evidence = observation.evidence
            key = (evidence.file, evidence.kind, evidence.match)
            found = by_slug.get(slug)
            if found is None:
                found = by_slug[slug] = {}
            known = found.get(key)
            if known is None or known.weight < evidence.weight:
                found[key] = evidence
            if observation.version and (
                slug not in versions or observation.version_rank < versions[slug][0]
            ):
                versions[slug] = (observation.version_rank, observation.version)
        evidence_by_slug = {slug: list(found.values()) for slug, found in by_slug.items()}
        confidences = {slug: _confidence(evidence) for slug, evidence in evidence_by_slug.items()}
        implied = self._imply(evidence_by_slug, confidences)
        technologies = self.catalogue.technologies
        detections = []
        for slug, confidence in confidences.items():
            if confidence < REPORT_THRESHOLD:
                continue
            technology = technologies[slug]
            listed: list[Evidence] = evidence_by_slug.get(slug, [])
            if slug in implied:
                listed = listed + list(implied[slug].values())
            if len(listed) > 1:
                listed = sorted(listed, key=_evidence_order)[:MAX_EVIDENCE_LISTED]
            detections.append(
                Detection(
                    slug=slug,
                    name=technology.name,
                    category=technology.category,
                    confidence=round(confidence, 3),
                    version=versions[slug][1] if slug in versions else None,
                    evidence=listed,
                )
            )
        detections.sort(key=lambda d: (-d.confidence, d.slug))
        return detections

    def _imply(
        self, evidence_by_slug: dict[str, list[Evidence]], confidences: dict[str, float]
    ) -> dict[str, dict[str, Evidence]]:
        """Add implied technologies (Next.js ⇒ React) until nothing changes; updates confidences.

        Each round looks again only at the technologies whose implied evidence changed in the
        round before: nothing else can change what they imply."""
        implications = self.catalogue.implications
        implied: dict[str, dict[str, Evidence]] = {}
        candidates = [slug for slug in confidences if slug in implications]
        for _ in range(IMPLICATION_ROUNDS):
            changed: dict[str, None] = {}  # an ordered set: confidences gain keys in this order
            for slug in candidates:
                confidence = confidences[slug]
                if confidence < REPORT_THRESHOLD:
                    continue
                evidence = evidence_by_slug.get(slug, [])
                if slug in implied:
                    evidence = evidence + list(implied[slug].values())
                strongest = max(evidence, key=_weight)
                weight = round(confidence, 3)
                for target in implications[slug]:
                    by_implier = implied.setdefault(target, {})
                    known = by_implier.get(slug)
                    if known is None or known.file != strongest.file or known.weight != weight:
                        by_implier[slug] = Evidence(
                            file=strongest.file,
                            kind=Kind.IMPLIED.value,
                            match=f"implied by {slug}",
                            weight=weight,
                        )
                        changed[target] = None
            if not changed:
                break
            for target in changed:
                confidences[target] = _confidence(
                    evidence_by_slug.get(target, []) + list(implied[target].values())
                )
            candidates = [slug for slug in confidences if slug in changed and slug in implications]
        return implied

    def _component(
        self, path: str, languages: list[LanguageShare], observations: list[Observation]
    ) -> Component:
        default_name = self.root.name if path == "." else path.rsplit("/", 1)[-1]
        return Component(
            path=path,
            name=self.project_names.get(path, default_name),
            manifests=sorted(self.manifests_by_component.get(path, [])),
            languages=languages,
            technologies=self._detect(observations),
        )


def _weight(evidence: Evidence) -> float:
    return evidence.weight


def _evidence_order(evidence: Evidence) -> tuple[float, str, str]:
    return -evidence.weight, evidence.file, evidence.match


def _confidence(evidence: list[Evidence]) -> float:
    if len(evidence) == 1:  # the usual case, without the temporary lists
        confidence, weak = evidence[0].weight, evidence[0].weak
    else:
        confidence = combine([e.weight for e in evidence])
        weak = all(e.weak for e in evidence)
    return min(confidence, WEAK_ONLY_CAP) if weak else confidence
