"""Technology detection for a source tree, with no Django (or network) dependency.

from apps.repos.detector import analyse
report = analyse("/path/to/checkout")
report.to_dict()  # {"languages": [...], "technologies": [...], "components": [...]}
"""

from .catalogue import load_catalogue
from .engine import analyse
from .report import Component, Detection, Evidence, LanguageShare, Report

__all__ = [
    "Component",
    "Detection",
    "Evidence",
    "LanguageShare",
    "Report",
    "analyse",
    "load_catalogue",
]
