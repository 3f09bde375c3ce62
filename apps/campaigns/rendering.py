"""Sandboxed template rendering for campaign email.

Templates use Django's syntax (`{{ lead.first_name|default:"there" }}`) but run in their own
`Engine` whose only built-in library is `SAFE_LIBRARY`: `if`, `for`, `with`, `comment`,
`spaceless`, `now`-free, and text filters. `{% load %}`, `{% include %}`, `{% extends %}`,
`{% debug %}`, `{% url %}` and every other tag do not exist there, so a template cannot read files,
import libraries or reverse URLs. The context holds plain dicts and strings only, so attribute
lookups reach nothing but the values given. Unknown variables are found by walking the parsed
template and are reported when a template is saved.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, cast
from urllib.parse import urlparse

import nh3
from django.template import Context, Engine, Library, TemplateSyntaxError, VariableDoesNotExist
from django.template import defaultfilters as df
from django.template import defaulttags as dt
from django.template.base import FilterExpression, Node, Template, VariableNode
from django.utils.html import strip_tags

SAFE_FILTERS = (
    "default",
    "default_if_none",
    "upper",
    "lower",
    "title",
    "capfirst",
    "truncatechars",
    "truncatewords",
    "length",
    "first",
    "last",
    "join",
    "slice",
    "yesno",
    "pluralize",
    "cut",
    "linebreaksbr",
    "escape",
    "urlencode",
    "floatformat",
    "add",
    "center",
    "ljust",
    "rjust",
    "wordcount",
    "striptags",
)
SAFE_TAGS = ("if", "for", "with", "comment", "spaceless", "cycle", "firstof", "ifchanged")

# Caps that keep one rendering small: a filter argument that sets a width or a precision, the
# characters a rendered part may have, and the loop iterations of one rendering.
MAX_FILTER_ARGUMENT = 1000
MAX_RENDERED_CHARS = 1_000_000
MAX_LOOP_ITERATIONS = 10_000
# Filters whose argument multiplies the output (a width or a number of digits).
SIZED_FILTERS = ("center", "ljust", "rjust", "floatformat")


class RenderFailed(Exception):
    """A part could not be rendered for these values; `field` names the part ('' until known)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RenderLimitExceeded(RenderFailed):
    """A rendering would exceed one of the caps."""


def _argument_size(argument: object) -> int:
    digits = re.sub(r"[^0-9]", "", str(argument))
    return int(digits) if digits else 0


def _argument_too_large(name: str, argument: object) -> str:
    """The error for a sized filter's argument over the cap, or ''."""
    if name in SIZED_FILTERS and _argument_size(argument) > MAX_FILTER_ARGUMENT:
        return f"The argument of |{name} is at most {MAX_FILTER_ARGUMENT}."
    return ""


def _capped(name: str):
    original = df.register.filters[name]

    def capped(value, argument=None):
        error = _argument_too_large(name, argument)
        if error:
            raise RenderLimitExceeded(error)
        return original(value) if argument is None else original(value, argument)

    capped.__name__ = name
    for attribute in ("is_safe", "needs_autoescape", "expects_localtime"):
        if hasattr(original, attribute):
            setattr(capped, attribute, getattr(original, attribute))
    return capped


class CappedForNode(dt.ForNode):
    """`{% for %}` that counts iterations and output across one rendering and stops at the caps."""

    def render(self, context: Context) -> str:
        # The render context lives for one rendering: the counts span every loop in it.
        fresh_counts: Any = {"loops": 0, "chars": 0}
        counts = cast(
            "dict[str, int]", context.render_context.setdefault("strato_limits", fresh_counts)
        )
        try:
            values = cast(FilterExpression, self.sequence).resolve(context, ignore_failures=True)
            counts["loops"] += len(values) if hasattr(values, "__len__") else 0
        except TypeError:
            pass
        if counts["loops"] > MAX_LOOP_ITERATIONS:
            raise RenderLimitExceeded(f"Loops may run at most {MAX_LOOP_ITERATIONS} times.")
        output = super().render(context)
        counts["chars"] += len(output)
        if counts["chars"] > MAX_RENDERED_CHARS:
            raise RenderLimitExceeded(_too_long_message())
        return output


def _capped_for(parser, token) -> CappedForNode:
    node = dt.do_for(parser, token)
    node.__class__ = CappedForNode
    return cast(CappedForNode, node)


def _too_long_message() -> str:
    return f"The rendered message would be over {MAX_RENDERED_CHARS:,} characters."


SAFE_LIBRARY = Library()
for _name in SAFE_FILTERS:
    SAFE_LIBRARY.filters[_name] = (
        _capped(_name) if _name in SIZED_FILTERS else df.register.filters[_name]
    )
for _name in SAFE_TAGS:
    SAFE_LIBRARY.tags[_name] = dt.register.tags[_name]
SAFE_LIBRARY.tags["for"] = _capped_for


class SandboxEngine(Engine):
    default_builtins: ClassVar[list[str]] = []

    def __init__(self) -> None:
        super().__init__(
            debug=False, loaders=[], libraries={}, autoescape=True, string_if_invalid=""
        )
        self.template_builtins = [SAFE_LIBRARY]


ENGINE = SandboxEngine()
TEXT_ENGINE = SandboxEngine()
TEXT_ENGINE.autoescape = False

# What a template may reference. `lead.attributes.<anything>` is free-form (custom attributes).
LEAD_FIELDS = {
    "email",
    "first_name",
    "last_name",
    "full_name",
    "company",
    "github_username",
    "github_url",
    "tags",
    "attributes",
    "stack",
}
# `lead.stack.*`: the technology stack of the lead's GitHub repositories (repository analysis).
STACK_FIELDS = {"primary_language", "languages", "frameworks", "databases", "technologies"}
TENANT_FIELDS = {"name", "postal_address"}
CAMPAIGN_FIELDS = {"name"}
TOP_LEVEL = {"lead", "tenant", "campaign", "unsubscribe_url", "forloop"}

# nh3 allow-list for email: structure, text formatting, tables, images and links, inline style.
EMAIL_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "center",
    "code",
    "div",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
EMAIL_ATTRIBUTES = {
    "*": {"style", "align", "class", "dir", "title"},
    "a": {"href", "name", "target"},
    "img": {"src", "alt", "width", "height", "border"},
    "table": {"width", "cellpadding", "cellspacing", "border", "bgcolor", "role"},
    "td": {"width", "valign", "colspan", "rowspan", "bgcolor", "height"},
    "th": {"width", "valign", "colspan", "rowspan", "bgcolor"},
    "font": {"color", "face", "size"},
}


class TemplateInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {v[0]}" for k, v in errors.items()))
        self.errors = errors


def sanitise_html(html: str) -> str:
    """Email-safe subset of HTML; template tags survive because they are text to nh3."""
    return nh3.clean(
        html,
        tags=EMAIL_TAGS,
        attributes=EMAIL_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


_BLOCK_END = re.compile(r"</(p|div|h[1-6]|li|tr|table|blockquote)>|<br\s*/?>", re.I)
_LINK = re.compile(r'<a\s[^>]*href="([^"]+)"[^>]*>(.*?)</a>', re.I | re.S)


def html_to_text(html: str) -> str:
    """Plain-text part from HTML: links become `text (url)`, blocks become lines."""
    text = _LINK.sub(lambda m: f"{strip_tags(m.group(2)).strip()} ({m.group(1)})", html)
    text = _BLOCK_END.sub("\n", text)
    text = html_lib.unescape(strip_tags(text))
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _oversized_arguments(nodelist) -> list[str]:
    """Errors for literal arguments of sized filters over the cap (`|ljust:"50000000"`)."""
    errors: list[str] = []

    def visit_expression(expression) -> None:
        if isinstance(expression, FilterExpression):
            for func, args in expression.filters:
                for is_variable, argument in args:
                    error = "" if is_variable else _argument_too_large(func.__name__, argument)
                    if error and error not in errors:
                        errors.append(error)

    _walk_expressions(nodelist, visit_expression)
    return errors


def _walk_expressions(nodelist, visit_expression) -> None:
    def visit(node: Node) -> None:
        if isinstance(node, VariableNode):
            visit_expression(node.filter_expression)
        for attribute in ("var", "sequence", "filter_expression"):
            value = getattr(node, attribute, None)
            if isinstance(value, FilterExpression):
                visit_expression(value)
        for condition, _ in getattr(node, "conditions_nodelists", []):
            for expression in _condition_expressions(condition):
                visit_expression(expression)
        for value in getattr(node, "extra_context", {}).values():
            visit_expression(value)
        for child in _children(node):
            visit(child)

    for node in nodelist:
        visit(node)


def _variables_of(nodelist) -> set[str]:
    found: set[str] = set()

    def visit_expression(expression) -> None:
        if isinstance(expression, FilterExpression):
            var = expression.var
            if hasattr(var, "var") and isinstance(var.var, str) and var.lookups:
                found.add(".".join(var.lookups))
            for _func, args in expression.filters:
                for _is_var, arg in args:
                    if _is_var and getattr(arg, "lookups", None):
                        found.add(".".join(arg.lookups))

    _walk_expressions(nodelist, visit_expression)
    return found


def _children(node: Node):
    """The nodes directly inside a block tag: its child node lists and its {% if %} branches."""
    for attribute in getattr(node, "child_nodelists", ()):
        yield from getattr(node, attribute, None) or []
    for _, nodelist in getattr(node, "conditions_nodelists", []):
        yield from nodelist


def _condition_expressions(condition):
    if condition is None:
        return []
    out = []
    for attribute in ("first", "second"):
        child = getattr(condition, attribute, None)
        if child is not None:
            out.extend(_condition_expressions(child))
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        out.append(value)
    return out


def _loop_names(nodelist) -> set[str]:
    names: set[str] = set()

    def visit(node: Node) -> None:
        names.update(getattr(node, "loopvars", []) or [])
        names.update((getattr(node, "extra_context", None) or {}).keys())
        for child in _children(node):
            visit(child)

    for node in nodelist:
        visit(node)
    return names


def unknown_variables(
    variables: set[str], local_names: AbstractSet[str] = frozenset()
) -> list[str]:
    unknown = []
    for name in sorted(variables):
        head, _, rest = name.partition(".")
        field = rest.split(".", 1)[0]
        if head in local_names or head in {"True", "False", "None"}:
            continue
        allowed = {"lead": LEAD_FIELDS, "tenant": TENANT_FIELDS, "campaign": CAMPAIGN_FIELDS}.get(
            head
        )
        if head not in TOP_LEVEL or (allowed is not None and rest and field not in allowed):
            unknown.append(name)
        elif head == "lead" and field == "stack":
            stack_field = rest.split(".")[1:2]
            if stack_field and stack_field[0] not in STACK_FIELDS:
                unknown.append(name)
    return unknown


@dataclass(frozen=True)
class CompiledTemplate:
    subject: Template
    html: Template
    text: Template


def validate_template(*, subject: str, html: str, text: str) -> list[str]:
    """Parse the three parts; raise TemplateInvalid with per-field errors; return variables."""
    errors: dict[str, list[str]] = {}
    variables: set[str] = set()
    for field, source, engine in (
        ("subject", subject, TEXT_ENGINE),
        ("html", html, ENGINE),
        ("text", text, TEXT_ENGINE),
    ):
        try:
            compiled = engine.from_string(source)
        except TemplateSyntaxError as exc:
            errors.setdefault(field, []).append(f"Template syntax error: {exc}")
            continue
        errors_of_field = _oversized_arguments(compiled.nodelist)
        if errors_of_field:
            errors.setdefault(field, []).extend(errors_of_field)
        used = _variables_of(compiled.nodelist)
        unknown = unknown_variables(used, _loop_names(compiled.nodelist))
        if unknown:
            errors.setdefault(field, []).append(
                "Unknown variable"
                + ("s" if len(unknown) > 1 else "")
                + ": "
                + ", ".join(unknown)
                + ". Available: lead.email, lead.first_name, "
                "lead.last_name, lead.full_name, lead.company, lead.github_username, "
                "lead.github_url, lead.tags, lead.attributes.<name>, lead.stack.primary_language, "
                "lead.stack.frameworks, lead.stack.databases, lead.stack.languages, "
                "lead.stack.technologies, tenant.name, "
                "tenant.postal_address, campaign.name, unsubscribe_url."
            )
        variables |= used
    if errors:
        raise TemplateInvalid(errors)
    return sorted(variables)


@lru_cache(maxsize=256)
def compile_parts(subject: str, html: str, text: str) -> CompiledTemplate:
    return CompiledTemplate(
        subject=TEXT_ENGINE.from_string(subject),
        html=ENGINE.from_string(html),
        text=TEXT_ENGINE.from_string(text),
    )


def lead_github_owner(lead) -> str:
    """The GitHub account behind a lead: its username, else the owner in its GitHub URL."""
    if lead.github_username:
        return lead.github_username
    if not lead.github_url:
        return ""
    path = urlparse(lead.github_url).path.strip("/")
    return path.split("/", 1)[0] if path else ""


@dataclass(slots=True)
class LeadFields:
    """What rendering reads of a lead, for a caller that fetched just that (a send batch)."""

    email: str
    first_name: str
    last_name: str
    company: str
    github_username: str
    github_url: str
    tags: list[str]
    attributes: dict

    @classmethod
    def from_row(cls, values) -> LeadFields:
        lead = cls(*values)
        if isinstance(lead.attributes, str):  # jsonb from a raw cursor arrives as text
            lead.attributes = json.loads(lead.attributes)
        return lead


# The lead columns a raw query selects to build LeadFields, in field order.
LEAD_COLUMNS = tuple(LeadFields.__dataclass_fields__)


def lead_context(lead, stack: dict | None = None) -> dict:
    """Plain values only: the sandbox's guarantee depends on it."""
    first, last = lead.first_name or "", lead.last_name or ""
    return {
        "stack": stack
        or {
            "primary_language": None,
            **{key: [] for key in STACK_FIELDS if key != "primary_language"},
        },
        "email": lead.email,
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "company": lead.company or "",
        "github_username": lead.github_username or "",
        "github_url": lead.github_url or "",
        "tags": list(lead.tags or []),
        "attributes": {
            str(k): v
            for k, v in (lead.attributes or {}).items()
            if isinstance(v, str | int | float | bool | type(None) | list)
        },
    }


def tenant_context(tenant) -> dict:
    return {"name": tenant.name, "postal_address": tenant.postal_address}


@dataclass
class Rendered:
    subject: str
    html: str
    text: str
    unsubscribe_url: str = ""


def _render_capped(field: str, template: Template, context: Context) -> str:
    try:
        output = template.render(context)
    except RenderLimitExceeded as exc:
        raise RenderLimitExceeded(str(exc), field) from exc
    except VariableDoesNotExist as exc:  # a filter argument naming a value this lead lacks
        raise RenderFailed(f"Missing value: {exc}", field) from exc
    if len(output) > MAX_RENDERED_CHARS:
        raise RenderLimitExceeded(_too_long_message(), field)
    return output


def render_parts(compiled: CompiledTemplate, context: dict) -> Rendered:
    """Render the three parts; RenderLimitExceeded (naming the part) when one is over a cap,
    RenderFailed when a filter argument names a missing value.

    Links whose scheme is not http, https or mailto are removed after rendering, because a
    variable can put `javascript:` into an href that was harmless when the template was saved.
    """
    html_context = Context(context, autoescape=True)
    text_context = Context(context, autoescape=False)
    subject = " ".join(_render_capped("subject", compiled.subject, text_context).split())
    return Rendered(
        subject=subject[:998],
        html=sanitise_html(_render_capped("html", compiled.html, html_context)),
        text=_render_capped("text", compiled.text, text_context),
    )
