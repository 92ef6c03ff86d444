"""`GET /api/v1/users/{id-or-email}/recognition`: how each airline sees one of the partner's
users for a search (DESIGN §11). Thin: authenticate, validate, call the recognition service."""

from types import SimpleNamespace

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from provisioning.accounts.domains import email_normal_form
from provisioning.accounts.selectors import partner_member_by_ref
from provisioning.models import User
from provisioning.partner_api.v1.base import PartnerApiView
from provisioning.partner_api.v1.docs import errors
from provisioning.partner_api.v1.errors import NOT_FOUND
from recognition.rules import Channel, OfficeFacts, SearchType, place_parse
from recognition.services import recognition_get


class PlaceField(serializers.CharField):
    default_error_messages = {
        "unknown_place": "{value} is neither a known IATA airport code nor an ISO country code."
    }

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        place = place_parse(value)
        if place is None:
            self.fail("unknown_place", value=value[:20])
        return place


class RecognitionQuerySerializer(serializers.Serializer):
    origin = PlaceField(help_text="IATA airport code (FRA) or ISO country (DE).")
    destination = PlaceField(help_text="IATA airport code (JFK) or ISO country (US).")
    airline = serializers.RegexField(
        r"^[A-Za-z0-9]{2}$",
        required=False,
        help_text="Answer for this airline only (IATA code, e.g. LH).",
        error_messages={"invalid": "Enter a 2-character IATA airline code such as LH."},
    )

    def validate_airline(self, value):
        return value.upper()


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    status = serializers.CharField()


class OfficeSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField()
    airportCode = serializers.CharField(source="airport_code")


class SearchSummarySerializer(serializers.Serializer):
    origin = serializers.CharField(source="origin.code")
    originCountry = serializers.CharField(source="origin.country")
    destination = serializers.CharField(source="destination.code")
    destinationCountry = serializers.CharField(source="destination.country")
    type = serializers.ChoiceField(
        source="search_type",
        choices=[kind.value for kind in SearchType],
        allow_null=True,
        help_text="export, import or cross_trade, seen from the office; null without an office.",
    )


class AirlineAnswerSerializer(serializers.Serializer):
    airline = serializers.CharField(source="airline.code")
    airlineName = serializers.CharField(source="airline.name")
    channel = serializers.ChoiceField(choices=[channel.value for channel in Channel])
    liveRates = serializers.BooleanField(source="live_rates")
    bookableViaApi = serializers.BooleanField(source="bookable_via_api")
    flywindowLink = serializers.URLField(
        source="flywindow_link",
        allow_null=True,
        help_text="Set when there are offers the API cannot book: book them in the portal.",
    )
    reasons = serializers.ListField(child=serializers.CharField())


class RecognitionSerializer(serializers.Serializer):
    user = UserSummarySerializer()
    office = OfficeSummarySerializer(
        source="recognition.office",
        allow_null=True,
        help_text="The office the search is answered for (see docs/recognition.md).",
    )
    search = SearchSummarySerializer(source="recognition")
    flywindowLink = serializers.URLField(
        source="recognition.flywindow_link",
        help_text="The user's FlyWINDOW link for this search; carries no credentials.",
    )
    airlines = AirlineAnswerSerializer(source="recognition.answers", many=True)


def office_facts_list(*, user: User) -> list[OfficeFacts]:
    return [
        OfficeFacts(
            id=office.pk,
            company_id=office.company_id,
            country=office.country.code,
            airport_code=office.airport_code,
            name=str(office),
        )
        for office in user.offices.select_related("company").order_by()
    ]


class UserRecognitionApi(PartnerApiView):
    @extend_schema(
        operation_id="users_recognition_retrieve",
        summary="Airline recognition of a user for a search",
        description=(
            "Per airline: whether the user gets live rates and API booking (airline_direct), "
            "coloader offers bookable in the portal through FlyWINDOW, or nothing, and why. "
            "Only for a current member of the key's partner; anyone else is a 404."
        ),
        tags=["users"],
        parameters=[
            OpenApiParameter(
                "user_ref",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The user's numeric id or email address.",
            ),
            RecognitionQuerySerializer,
        ],
        responses={200: RecognitionSerializer, **errors(404, 422)},
    )
    def get(self, request, user_ref: str):
        ref = email_normal_form(user_ref) if "@" in user_ref else user_ref
        user = partner_member_by_ref(partner=self.partner, ref=ref)
        if user is None:
            raise NotFound(NOT_FOUND)
        query = RecognitionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        airline_code = query.validated_data.get("airline")
        recognition = recognition_get(
            offices=office_facts_list(user=user),
            origin=query.validated_data["origin"],
            destination=query.validated_data["destination"],
            airline_code=airline_code,
        )
        if airline_code and not recognition.answers:
            raise ValidationError({"airline": [f"{airline_code} is not an airline we know."]})
        payload = SimpleNamespace(user=user, recognition=recognition)
        return Response(RecognitionSerializer(payload).data)
