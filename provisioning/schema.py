"""How the partner API's authentication appears in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "provisioning.authentication.BearerApiKeyAuthentication"
    name = "apiKeyBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The partner's API key: `Authorization: Bearer <key>`.",
        }
