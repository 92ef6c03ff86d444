"""`ServiceProviderConfig`, `ResourceTypes`, `Schemas` (RFC 7644 §4), and the SCIM 404 of
any other path."""

from scim2_models import Context, NotFoundException

from provisioning.partner_api.scim import resources
from provisioning.partner_api.scim.base import ScimView
from provisioning.partner_api.scim.errors import scim_json


class DiscoveryView(ScimView):
    document = ""

    def get(self, request, ident=None):
        base = self.base_url()
        if self.document == "config":
            return scim_json(
                resources.service_provider_config(base).model_dump(scim_ctx=Context.DEFAULT)
            )
        items = (
            resources.schemas(base)
            if self.document == "schemas"
            else resources.resource_types(base)
        )
        bodies = [item.model_dump(scim_ctx=Context.DEFAULT) for item in items]
        if ident is not None:
            for body in bodies:
                if body["id"] == ident:
                    return scim_json(body)
            raise NotFoundException(detail="No such schema or resource type.")
        return scim_json(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": len(bodies),
                "startIndex": 1,
                "itemsPerPage": len(bodies),
                "Resources": bodies,
            }
        )


class NotFoundView(ScimView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFoundException(detail="No such SCIM endpoint.")

    def get(self, request, *args, **kwargs):  # pragma: no cover - initial() answers
        raise NotFoundException()

    post = put = patch = delete = get
