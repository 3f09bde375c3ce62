"""Content check run before a campaign may be scheduled or sent: a score with its reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.html import strip_tags

SPAMMY_PHRASES = (
    "act now",
    "100% free",
    "risk-free",
    "risk free",
    "winner",
    "you have been selected",
    "cash bonus",
    "click here",
    "buy now",
    "limited time",
    "urgent",
    "no credit check",
    "guaranteed",
    "double your",
    "earn money",
    "make money",
    "free money",
    "viagra",
    "casino",
    "lowest price",
    "once in a lifetime",
    "order now",
    "congratulations",
    "100% satisfied",
    "this is not spam",
    "no strings attached",
    "miracle",
    "lose weight",
    "crypto giveaway",
)
URL_SHORTENERS = (
    "bit.ly",
    "tinyurl.com",
    "goo.gl",
    "t.co/",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "cutt.ly",
    "rebrand.ly",
    "shorturl.at",
    "tiny.cc",
    "rb.gy",
)
_URL = re.compile(r"https?://[^\s\"'<>]+", re.I)


@dataclass
class SpamReport:
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: float, reason: str) -> None:
        self.score = round(self.score + points, 2)
        self.reasons.append(f"{reason} (+{points:g})")

    def as_dict(self, threshold: float) -> dict:
        return {
            "score": self.score,
            "threshold": threshold,
            "blocked": self.score >= threshold,
            "reasons": self.reasons,
        }


def spam_score(*, subject: str, html: str, text: str, has_unsubscribe: bool) -> SpamReport:
    report = SpamReport()
    words = re.findall(r"[A-Za-z]{3,}", subject)
    if words and sum(w.isupper() for w in words) / len(words) >= 0.6:
        report.add(2.0, "Subject is mostly capital letters")
    if "!!" in subject or subject.count("!") >= 3:
        report.add(1.5, "Subject has repeated exclamation marks")
    if "$$" in subject or "€€" in subject:
        report.add(1.0, "Subject has repeated currency signs")
    content = f"{subject}\n{strip_tags(html)}\n{text}".lower()
    phrases = sorted({phrase for phrase in SPAMMY_PHRASES if phrase in content})
    if phrases:
        report.add(min(4.0, 1.0 * len(phrases)), "Spammy phrases: " + ", ".join(phrases))
    urls = _URL.findall(html) + _URL.findall(text)
    if len(set(urls)) > 10:
        report.add(1.5, f"Many links ({len(set(urls))})")
    shorteners = sorted({s for s in URL_SHORTENERS for url in urls if s in url.lower()})
    if shorteners:
        report.add(3.0, "URL shorteners: " + ", ".join(shorteners))
    visible = len(strip_tags(html).strip())
    if html and len(html) > 500 and visible / len(html) < 0.1:
        report.add(1.5, "Very little text compared with HTML markup (image-heavy?)")
    if html and not text.strip():
        report.add(1.0, "No plain-text part")
    if not has_unsubscribe:
        report.add(3.0, "No unsubscribe link")
    if not subject.strip():
        report.add(2.0, "Empty subject")
    return report
