"""Public-schema routing for GitHub webhooks.

A push arrives on the public host and names a GitHub repository, not a tenant. These two small
tables (kept in step by `apps.repos.services`) say which tenants track a repository and which
tenant a GitHub App installation belongs to; the repositories themselves stay in tenant schemas.
"""
