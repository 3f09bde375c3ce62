"""Repositories and analyses (tenant schema) and GitHub App installation routes (public schema).

Tenant-schema factories build in the schema the connection is on: wrap them in
`schema_context(tenant.schema_name)` (see tests/support/factories.py).
"""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from apps.repos.models import Analysis, Repository
from apps.repos.routing.models import InstallationRoute
from tests.support.factories import TenantSchemaFactory
from tests.tenants.factories import TenantFactory


class RepositoryFactory(TenantSchemaFactory):
    """A repository added by URL, not analysed yet."""

    class Meta:
        model = Repository

    owner = "octo"
    name = factory.Sequence(lambda n: f"repo{n}")


class AnalysisFactory(TenantSchemaFactory):
    """A finished analysis and its report, shaped like the detector's.

    `technologies` (the detector's entries: slug, name, category, version) and `language` fill
    the report; pass `report=` to give it whole.
    """

    class Meta:
        model = Analysis

    class Params:
        technologies = factory.LazyFunction(list)
        language = "Python"

    repository = factory.SubFactory(RepositoryFactory)
    status = Analysis.Status.SUCCEEDED
    report = factory.LazyAttribute(
        lambda analysis: {
            "languages": [{"name": analysis.language, "bytes": 100, "share": 1.0}],
            "technologies": analysis.technologies,
        }
    )


class InstallationRouteFactory(DjangoModelFactory):
    """A GitHub App installation and the tenant that installed it."""

    class Meta:
        model = InstallationRoute

    installation_id = factory.Sequence(lambda n: 900_000 + n)
    tenant = factory.SubFactory(TenantFactory)
