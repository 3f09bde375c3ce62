import pytest
from django.core.management import call_command


@pytest.mark.parametrize("urlconf", ["strato.urls_tenant_api", "strato.urls_public_api"])
def test_openapi_schema_is_valid_and_warning_free(urlconf, tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", urlconf=urlconf, validate=True, fail_on_warn=True, file=str(out))
    text = out.read_text()
    assert "openapi: 3" in text
    assert "application/problem+json" in text


def test_tenant_schema_documents_every_account_endpoint_with_errors(tmp_path):
    import yaml

    out = tmp_path / "schema.yaml"
    call_command("spectacular", urlconf="strato.urls_tenant_api", file=str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for path in [
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/auth/profile",
        "/api/keys",
        "/api/keys/{key_id}",
        "/api/members",
        "/api/invitations",
    ]:
        assert path in paths, path
    login = paths["/api/auth/login"]["post"]
    assert {"200", "400", "401", "429"} <= set(login["responses"])
    locked = login["responses"]["429"]["content"]["application/problem+json"]
    assert locked["schema"]["$ref"].endswith("/Problem")
    assert set(schema["components"]["securitySchemes"]) == {"jwtAuth", "apiKeyAuth", "sessionAuth"}
