from django.apps import AppConfig


class CampaignRoutingConfig(AppConfig):
    """Public-schema lookups that let public endpoints (ESP webhooks) find a message's tenant.

    Everything else of campaigns lives in the tenant schema (`apps.campaigns`).
    """

    name = "apps.campaigns.routing"
    label = "campaign_routing"
    verbose_name = "Campaign routing"
    default_auto_field = "django.db.models.BigAutoField"
