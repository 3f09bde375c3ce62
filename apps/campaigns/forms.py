"""Dashboard forms: they parse input; the campaign wizard's rules live in its step services."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms

from .models import EmailTemplate, LeadList, Segment

ALL_LEADS = "all"


def _list_label(lead_list: LeadList) -> str:
    count = getattr(lead_list, "lead_count", None)
    return f"List: {lead_list.name}" + (f" ({count} leads)" if count is not None else "")


class AudienceForm(forms.Form):
    """Step 1. `audience` is `all`, `list:<id>` or `segment:<id>`; an id that no longer exists
    is an invalid choice, never a silent "all leads"."""

    name = forms.CharField(max_length=200, required=False)
    audience = forms.ChoiceField(initial=ALL_LEADS)

    def __init__(self, *args, lists, segments, **kwargs):
        super().__init__(*args, **kwargs)
        self.lists = {str(item.public_id): item for item in lists}
        self.segments = {str(item.public_id): item for item in segments}
        cast(forms.ChoiceField, self.fields["audience"]).choices = [
            (ALL_LEADS, "All leads"),
            *((f"list:{key}", _list_label(item)) for key, item in self.lists.items()),
            *((f"segment:{key}", f"Segment: {item.name}") for key, item in self.segments.items()),
        ]

    def audience_objects(self) -> tuple[LeadList | None, Segment | None]:
        kind, _, key = self.cleaned_data["audience"].partition(":")
        if kind == "list":
            return self.lists[key], None
        if kind == "segment":
            return None, self.segments[key]
        return None, None

    @staticmethod
    def initial_for(campaign) -> dict:
        if campaign is None:
            return {"audience": ALL_LEADS}
        if campaign.lead_list_id:
            audience = f"list:{campaign.lead_list.public_id}"
        elif campaign.segment_id:
            audience = f"segment:{campaign.segment.public_id}"
        else:
            # A draft whose list or segment was deleted has no choice made yet.
            audience = "" if campaign.audience_removed else ALL_LEADS
        return {"name": campaign.name, "audience": audience}


class ContentForm(forms.Form):
    """Step 2. A missing template is left to the step service to refuse."""

    template = forms.ChoiceField(required=False)
    from_email = forms.CharField(max_length=320, required=False)
    reply_to = forms.EmailField(required=False)

    def __init__(self, *args, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {str(item.public_id): item for item in templates}
        cast(forms.ChoiceField, self.fields["template"]).choices = [
            ("", "Choose a template"),
            *((key, item.name) for key, item in self.templates.items()),
        ]

    def template_object(self) -> EmailTemplate | None:
        return self.templates.get(self.cleaned_data["template"])

    @staticmethod
    def initial_for(campaign) -> dict:
        return {
            "template": str(campaign.template.public_id) if campaign.template_id else "",
            "from_email": campaign.from_email,
            "reply_to": campaign.reply_to,
        }


class ScheduleForm(forms.Form):
    """Step 3. `send_at` is the organisation's wall-clock time, as a datetime-local input sends
    it; the step service converts it and refuses a time in the past."""

    WHEN = (("now", "Send right after the review"), ("later", "Schedule for a time"))
    when = forms.ChoiceField(choices=WHEN, initial="now", widget=forms.RadioSelect)
    send_at = forms.CharField(required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        raw = (data.get("send_at") or "").strip()
        data["send_at"] = None
        if data.get("when") == "later":
            if not raw:
                self.add_error("send_at", "Enter a date and time.")
                return data
            try:
                data["send_at"] = datetime.fromisoformat(raw)
            except ValueError:
                self.add_error("send_at", "Enter a date and time like 2026-05-01T09:30.")
        return data

    @staticmethod
    def initial_for(campaign, local_send_at: str) -> dict:
        return {"when": "later" if campaign.send_at else "now", "send_at": local_send_at}


class SendingDomainForm(forms.Form):
    name = forms.CharField(
        max_length=253,
        label="Domain",
        help_text="The domain your campaigns send from, e.g. mail.acme.example. A subdomain "
        "keeps your main domain's reputation apart.",
        widget=forms.TextInput(attrs={"placeholder": "mail.acme.example", "autocomplete": "off"}),
    )
