"""What every v1 view shares: Bearer key, per-key rate limit, JSON only, v1 error shapes.

Cheap checks come first (DESIGN §10): the declared body size before anything, the key before
the body is parsed, and path and query parameters with NUL or lone surrogates are refused
before a lookup or filter sends them to the database.
"""

import re

from django.conf import settings
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from provisioning.audit.records import Actor
from provisioning.partner_api.auth import BearerApiKeyAuthentication
from provisioning.partner_api.throttling import ApiKeyRateThrottle
from provisioning.partner_api.v1.errors import NOT_FOUND, BodyTooLarge, exception_handler

# NUL and the other C0/C1 controls, and lone surrogates (a JSON `\ud800` decodes to one).
UNUSABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
UNUSABLE_TEXT = "must not contain control characters or lone surrogates"


class JsonBodyParser(JSONParser):
    """DRF's JSON parser, with nesting too deep for the decoder answered as a parse error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("nested too deeply") from None


class JsonAnswerRenderer(JSONRenderer):
    """DRF's JSON renderer; an answer that echoes a lone surrogate of the request is written
    with \\u escapes (still valid JSON) instead of failing to encode as UTF-8."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            escaped = JSONRenderer()
            escaped.ensure_ascii = True
            return escaped.render(data, accepted_media_type, renderer_context)


def body_size_check(request) -> None:
    """Refuse a body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE before reading it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and declared > limit:
        raise BodyTooLarge(limit)


class PartnerApiView(GenericAPIView):
    authentication_classes = [BearerApiKeyAuthentication]
    permission_classes: list = []
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [JsonBodyParser]
    renderer_classes = [JsonAnswerRenderer]
    metadata_class = None

    def initial(self, request, *args, **kwargs):
        body_size_check(request)
        super().initial(request, *args, **kwargs)
        if any(isinstance(v, str) and UNUSABLE.search(v) for v in kwargs.values()):
            # No user's id or address contains one: the same answer as for an unknown user.
            raise exceptions.NotFound(NOT_FOUND)
        unusable = {
            name: [UNUSABLE_TEXT]
            for name, values in request.query_params.lists()
            if UNUSABLE.search(name) or any(UNUSABLE.search(value) for value in values)
        }
        if unusable:
            raise exceptions.ValidationError(unusable)

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
