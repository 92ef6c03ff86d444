"""`/api/v1/events` — the partner's event feed (DESIGN §9)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema

from provisioning.accounts.selectors import partner_events
from provisioning.models import PartnerEvent
from provisioning.partner_api.v1.base import PartnerApiView
from provisioning.partner_api.v1.docs import RETRY_AFTER, list_errors
from provisioning.partner_api.v1.filters import EventFilter
from provisioning.partner_api.v1.pagination import EventCursor
from provisioning.partner_api.v1.serializers import EventSerializer


class EventsView(PartnerApiView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilter
    pagination_class = EventCursor
    serializer_class = EventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built without a key
            return PartnerEvent.objects.none()
        return partner_events(partner=self.partner)

    @extend_schema(
        operation_id="events_list",
        summary="Your event feed, oldest first",
        description=(
            "Every change of one of your users' accounts: `user.created` (also when an "
            "existing account is linked to you), `user.activated`, `user.pending`, "
            "`user.details_submitted`, `user.disabled`, `user.deleted`. Follow `next` to "
            "read on; keep the last cursor to resume later. The same events are POSTed to "
            "your webhook when one is set."
        ),
        tags=["events"],
        parameters=[RETRY_AFTER],
        responses={200: EventSerializer(many=True), **list_errors()},
    )
    def get(self, request):
        events = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventSerializer(page, many=True).data)
