from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.serializers import StrictSerializer

from ..models import (
    Campaign,
    EmailTemplate,
    Lead,
    LeadImport,
    LeadList,
    Segment,
    SendingDomain,
    Suppression,
)

# A host name of two or more LDH labels, the last starting with a letter. An internationalised
# name is given in its ASCII (punycode, `xn--…`) form; the dashboard also takes the Unicode form.
HOST_NAME = (
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"  # labels and their dots
    r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # the top-level label
)
DOMAIN_NAME_PATTERN = rf"^{HOST_NAME}$"
# An http(s) address on such a host: what the document states is what is taken (`format: uri`
# promised any URI, which Django's URL validator does not take).
WEB_URL_PATTERN = rf"^https?://{HOST_NAME}(/\S*)?$"


class LeadOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    lists = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "company",
            "github_username",
            "github_url",
            "attributes",
            "tags",
            "lists",
            "created_at",
            "updated_at",
        ]

    def get_lists(self, lead) -> list[str]:
        return [str(item.public_id) for item in lead.lists.all()]


class LeadInput(StrictSerializer):
    email = serializers.EmailField(max_length=320)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    github_username = serializers.RegexField(
        r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$", required=False, allow_blank=True
    )
    github_url = serializers.RegexField(
        WEB_URL_PATTERN,
        max_length=500,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        error_messages={"invalid": "Enter an http(s) address such as https://github.com/octocat."},
    )
    attributes = serializers.DictField(required=False)
    tags = serializers.ListField(
        # Blank tags are dropped, so a blank one is not an error.
        child=serializers.CharField(max_length=64, allow_blank=True),
        required=False,
        max_length=50,
    )
    lists = serializers.ListField(child=serializers.UUIDField(), required=False)


class LeadUpdateInput(LeadInput):
    email = serializers.EmailField(max_length=320, required=False)


class ListOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    lead_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = LeadList
        fields = ["id", "name", "lead_count", "created_at"]


class NameInput(StrictSerializer):
    name = serializers.CharField(max_length=200)


_TAGS = {"type": "array", "items": {"type": "string"}}
_DAYS = {"type": "integer", "minimum": 1, "maximum": 3650}
SEGMENT_FILTERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "description": "Every filter given must match (AND); an empty object matches every lead.",
    "properties": {
        "tags_any": {**_TAGS, "description": "Has any of these tags."},
        "tags_all": {**_TAGS, "description": "Has all of these tags."},
        "technologies": {
            **_TAGS,
            "description": "Detector slugs: the lead's GitHub account owns a repository whose "
            "latest analysis found one of them.",
        },
        "attributes": {
            "type": "object",
            "additionalProperties": True,
            "description": "Custom attributes with exactly these values.",
        },
        "company": {"type": "string", "description": "Company, case-insensitive."},
        "email_domain": {"type": "string", "description": "Email address domain."},
        "search": {"type": "string", "description": "Email, name or company contains."},
        "list": {"type": "string", "format": "uuid", "description": "Member of this list."},
        "opened_within_days": {**_DAYS, "description": "Opened (human) recently."},
        "clicked_within_days": {**_DAYS, "description": "Clicked recently."},
        "not_opened_within_days": {**_DAYS, "description": "Not opened recently."},
    },
}


@extend_schema_field(SEGMENT_FILTERS_SCHEMA)
class SegmentFiltersField(serializers.DictField):
    """A segment's filters; checked rule by rule by `segment_filter_errors` in the service."""


class SegmentOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    filters = SegmentFiltersField(read_only=True)

    class Meta:
        model = Segment
        fields = ["id", "name", "filters", "created_at"]


class SegmentDetailOutput(SegmentOutput):
    lead_count = serializers.IntegerField(read_only=True, help_text="Leads it matches now.")
    recipient_count = serializers.IntegerField(
        read_only=True, help_text="Of those, the ones a campaign would send to (not suppressed)."
    )

    class Meta(SegmentOutput.Meta):
        fields = [*SegmentOutput.Meta.fields, "lead_count", "recipient_count"]


class SegmentInput(StrictSerializer):
    name = serializers.CharField(max_length=200)
    filters = SegmentFiltersField()


class LeadIdsInput(StrictSerializer):
    leads = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=1000, help_text="Lead ids."
    )


class ListLeadsAddedOutput(StrictSerializer):
    added = serializers.IntegerField(help_text="Leads that were not members yet.")
    lead_count = serializers.IntegerField(help_text="Members of the list now.")


class ListLeadsRemovedOutput(StrictSerializer):
    removed = serializers.IntegerField(help_text="Leads that were members.")
    lead_count = serializers.IntegerField(help_text="Members of the list now.")


class TemplateOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = EmailTemplate
        fields = [
            "id",
            "name",
            "subject",
            "html",
            "text",
            "text_generated",
            "variables",
            "created_at",
            "updated_at",
        ]


class TemplateInput(StrictSerializer):
    name = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=998)
    html = serializers.CharField(required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")


class TemplateUpdateInput(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    subject = serializers.CharField(max_length=998, required=False)
    html = serializers.CharField(required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)


class PreviewInput(StrictSerializer):
    template = serializers.UUIDField(required=False)
    subject = serializers.CharField(max_length=998, required=False, allow_blank=True)
    html = serializers.CharField(required=False, allow_blank=True)
    text = serializers.CharField(required=False, allow_blank=True)
    lead = serializers.UUIDField(required=False)


class PreviewOutput(StrictSerializer):
    subject = serializers.CharField()
    html = serializers.CharField()
    text = serializers.CharField()
    variables = serializers.ListField(child=serializers.CharField())


class CampaignOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    template = serializers.UUIDField(
        source="template.public_id", allow_null=True, read_only=True, default=None
    )
    list = serializers.UUIDField(
        source="lead_list.public_id", allow_null=True, read_only=True, default=None
    )
    segment = serializers.UUIDField(
        source="segment.public_id", allow_null=True, read_only=True, default=None
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "status",
            "status_reason",
            "template",
            "list",
            "segment",
            "audience_removed",
            "from_email",
            "reply_to",
            "send_at",
            "started_at",
            "finished_at",
            "recipients",
            "spam_score",
            "spam_reasons",
            "deleted_at",
            "created_at",
            "updated_at",
        ]


class CampaignInput(StrictSerializer):
    name = serializers.CharField(max_length=200)
    template = serializers.UUIDField(required=False, allow_null=True)
    list = serializers.UUIDField(required=False, allow_null=True)
    segment = serializers.UUIDField(required=False, allow_null=True)
    from_email = serializers.CharField(
        max_length=320,
        required=False,
        allow_blank=True,
        help_text="`ada@acme.example` or `Ada <ada@acme.example>`, on one of the organisation's "
        "verified sending domains (400 `sending_domain_unverified` otherwise). Empty: the "
        "platform's address, shown as `<organisation> via Strato`. Should the domain stop being "
        "verified before sending, the campaign goes out that way, with Reply-To this address.",
    )
    reply_to = serializers.EmailField(required=False, allow_blank=True)


class CampaignUpdateInput(CampaignInput):
    name = serializers.CharField(max_length=200, required=False)


class ScheduleInput(StrictSerializer):
    send_at = serializers.DateTimeField(
        help_text="ISO 8601. Without an offset it is read in the organisation's time zone.",
        default_timezone=None,
    )


class TestSendInput(StrictSerializer):
    emails = serializers.ListField(child=serializers.EmailField(), min_length=1, max_length=5)
    lead = serializers.UUIDField(required=False, help_text="Personalise with this lead.")


class SpamCheckOutput(StrictSerializer):
    score = serializers.FloatField()
    threshold = serializers.FloatField()
    blocked = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class ImportOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    progress = serializers.FloatField(read_only=True)

    class Meta:
        model = LeadImport
        fields = [
            "id",
            "status",
            "progress",
            "rows_total",
            "created",
            "updated",
            "skipped",
            "errors_count",
            "error",
            "mapping",
            "created_at",
            "finished_at",
        ]


class ImportInput(StrictSerializer):
    file = serializers.FileField()
    list = serializers.UUIDField(required=False)
    mapping = serializers.JSONField(
        required=False, help_text='{"CSV column": "email" | "first_name" | … | "attributes.<name>"}'
    )


class SuppressionOutput(serializers.ModelSerializer):
    class Meta:
        model = Suppression
        fields = ["email", "reason", "note", "created_at"]


class SuppressionInput(StrictSerializer):
    email = serializers.EmailField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DnsRecordOutput(StrictSerializer):
    record = serializers.CharField(help_text="What the record is for: `SPF`, `DKIM`, …")
    name = serializers.CharField(help_text="Host name to create, relative to the domain.")
    type = serializers.CharField(help_text="`MX`, `TXT` or `CNAME`.")
    value = serializers.CharField()
    ttl = serializers.CharField(required=False)
    priority = serializers.IntegerField(required=False, help_text="MX records only.")
    status = serializers.CharField(help_text="Resend's check of this record.")


class SendingDomainOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    records = DnsRecordOutput(many=True, read_only=True)

    class Meta:
        model = SendingDomain
        fields = [
            "id",
            "name",
            "status",
            "region",
            "records",
            "last_checked_at",
            "verified_at",
            "created_at",
        ]


class SendingDomainInput(StrictSerializer):
    name = serializers.RegexField(
        DOMAIN_NAME_PATTERN,
        max_length=253,
        trim_whitespace=False,
        error_messages={"invalid": "Enter a domain name such as mail.example.com."},
        help_text="The domain to send from, e.g. `mail.acme.example` (a subdomain keeps the "
        "reputation of the main domain apart); an internationalised name in its `xn--` form. "
        "Stored lowercase.",
    )


class LeadFilterQuery(StrictSerializer):
    """Query parameters of the lead list and export."""

    search = serializers.CharField(
        required=False, max_length=200, help_text="Email, name or company contains."
    )
    tag = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        help_text="Has any of these tags (repeat the parameter).",
    )
    list = serializers.UUIDField(required=False, help_text="Member of this list (id).")
    segment = serializers.UUIDField(required=False, help_text="Matches this saved segment (id).")
    opened_within_days = serializers.IntegerField(
        required=False, min_value=1, max_value=3650, help_text="Opened (human) recently."
    )


class CampaignListQuery(StrictSerializer):
    status = serializers.ChoiceField(
        choices=Campaign.Status.choices, required=False, help_text="Only campaigns in this state."
    )
    deleted = serializers.BooleanField(
        required=False, default=False, help_text="Only soft-deleted ones."
    )


class LeadIdsQuery(StrictSerializer):
    lead = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=1000,
        help_text="Lead id (repeat the parameter).",
    )


class SuppressionQuery(StrictSerializer):
    email = serializers.EmailField(help_text="The suppressed address.")
