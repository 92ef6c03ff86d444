"""`/api/v1/events` — the partner's event feed (DESIGN §9)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema

from provisioning.delivery.event_sequence import partner_events_number_pending, partner_feed
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
        return partner_feed(partner=self.partner)

    @extend_schema(
        operation_id="events_list",
        summary="Your event feed, oldest first",
        description=(
            "Every change of one of your users' accounts: `user.created` (also when an "
            "existing account is linked to you), `user.activated`, `user.pending`, "
            "`user.details_submitted`, `user.disabled`, `user.deleted`, in the order their "
            "changes committed. Follow `next` to read on: it is given on the last page too "
            "(and repeated while nothing is new), so keep the last one and poll with it; no "
            "event committed later is ever placed before it. The same events are POSTed to "
            "your webhook when one is set."
        ),
        tags=["events"],
        parameters=[RETRY_AFTER],
        responses={200: EventSerializer(many=True), **list_errors()},
    )
    def get(self, request):
        partner_events_number_pending(partner=self.partner)
        events = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventSerializer(page, many=True).data)
