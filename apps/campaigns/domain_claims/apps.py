from django.apps import AppConfig


class DomainClaimsConfig(AppConfig):
    name = "apps.campaigns.domain_claims"
    label = "campaigns_domain_claims"
    verbose_name = "Sending domain claims"
