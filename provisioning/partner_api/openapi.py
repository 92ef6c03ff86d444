"""OpenAPI pieces both partner surfaces share: the two key schemes and the error answers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "provisioning.partner_api.auth.BearerApiKeyAuthentication"
    name = "bearerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer <key>` — the partner's API key.",
        }


class HeaderKeyScheme(OpenApiAuthenticationExtension):
    target_class = "provisioning.partner_api.auth.HeaderApiKeyAuthentication"
    name = "apiKeyHeader"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "`x-api-key: <key>` — the partner's API key (compatibility surface).",
        }


def endpoints_preprocess(endpoints):
    """The compatibility route takes an optional trailing slash; document its canonical
    form, `/solutions/users`, as partners call it."""
    return [
        (path.rstrip("/") if path.startswith("/solutions/") else path, regex, method, view)
        for path, regex, method, view in endpoints
    ]


# What the v1 views refuse in any query parameter (PartnerApiView.initial), stated in the
# schema so that a client (and a schema-driven tester) knows such a value is invalid.
PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"


def query_text_postprocess(result, generator, request, public):
    """Give every free-text query parameter of /api/v1/ the pattern the views enforce."""
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if (
                    parameter.get("in") == "query"
                    and schema.get("type") == "string"
                    and not ({"pattern", "enum", "format"} & set(schema))
                ):
                    schema["pattern"] = PRINTABLE
    return result
