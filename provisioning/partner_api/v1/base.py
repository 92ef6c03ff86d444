"""What every v1 view shares: Bearer key, per-key rate limit, JSON only, v1 error shapes."""

from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from provisioning.audit.records import Actor
from provisioning.partner_api.auth import BearerApiKeyAuthentication
from provisioning.partner_api.throttling import ApiKeyRateThrottle
from provisioning.partner_api.v1.errors import exception_handler


class PartnerApiView(GenericAPIView):
    authentication_classes = [BearerApiKeyAuthentication]
    permission_classes: list = []
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    metadata_class = None

    def options(self, request, *args, **kwargs):
        # The schema describes every operation; OPTIONS only lists the methods (Allow).
        return Response(status=204)

    @property
    def partner(self):
        return self.request.auth.partner

    @property
    def actor(self) -> Actor:
        return Actor.partner(self.request.auth)

    def get_exception_handler(self):
        return exception_handler
