"""SCIM filters (RFC 7644 §3.4.2.2) on a partner's memberships, as ORM conditions.

scim2-models parses the filter; the attributes identity providers look users up by are
translated here: `userName`, `emails.value` (`emails[value eq …]`), `externalId`, `active`
and `id`, compared with `eq`, joined by `and` / `or`. Anything else is `invalidFilter`.
"""

from django.db.models import Q
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import AttrPath, Comparison, LogicalExpr, ValuePath
from scim2_models.path.expressions import CompareOperator, LogicalOperator

from provisioning.accounts.domains import email_normal_form
from provisioning.partner_api.scim.resources import USER_SCHEMA

MAX_LENGTH = 1000
MAX_TERMS = 20


def _name(path: AttrPath, outer: str = "") -> str:
    if path.uri and path.uri.lower() != USER_SCHEMA.lower():
        return "?"
    name = f"{outer}.{path.attr}" if outer else path.attr
    return f"{name}.{path.sub_attr}".lower() if path.sub_attr else name.lower()


def _comparison(node: Comparison, outer: str = "") -> Q:
    name = _name(node.attr_path, outer)
    if node.op != CompareOperator.eq:
        raise InvalidFilterException(detail=f"only eq is supported, not {node.op.value}")
    value = node.value
    if name in ("username", "emails", "emails.value"):
        if not isinstance(value, str):
            raise InvalidFilterException(detail=f"{name} is compared with a string")
        return Q(email_lower=email_normal_form(value).lower())
    if name in ("emails.type", "emails.primary"):
        # The one email shown is the account's: type work, primary.
        return Q() if value in ("work", True) else Q(pk__in=[])
    if name == "externalid":
        if not isinstance(value, str):
            raise InvalidFilterException(detail="externalId is compared with a string")
        return Q(external_id=value) if value else Q(pk__in=[])
    if name == "active":
        if not isinstance(value, bool):
            raise InvalidFilterException(detail="active is compared with true or false")
        return Q(removed_at__isnull=value)
    if name == "id":
        if not (isinstance(value, str) and value.isascii() and value.isdigit()):
            return Q(pk__in=[])
        pk = int(value)
        return Q(pk=pk) if 0 < pk < 2**63 else Q(pk__in=[])
    raise InvalidFilterException(
        detail="filters compare userName, emails.value, externalId, active or id"
    )


def _condition(node, outer: str = "", depth: int = 0) -> Q:
    if depth > MAX_TERMS:
        raise InvalidFilterException(detail="the filter is too complex")
    match node:
        case Comparison():
            return _comparison(node, outer)
        case LogicalExpr():
            if len(node.terms) > MAX_TERMS:
                raise InvalidFilterException(detail="the filter is too complex")
            conditions = [_condition(term, outer, depth + 1) for term in node.terms]
            combined = conditions[0]
            for condition in conditions[1:]:
                combined = (
                    combined & condition
                    if node.op == LogicalOperator.and_
                    else (combined | condition)
                )
            return combined
        case ValuePath() if not outer and _name(node.attr_path) == "emails":
            return _condition(node.val_filter, "emails", depth + 1)
    raise InvalidFilterException(detail=f"unsupported filter expression: {node}")


def filter_condition(text: str) -> Q:
    """The ORM condition of a filter, else InvalidFilterException."""
    if len(text) > MAX_LENGTH or not text.isprintable():
        raise InvalidFilterException(detail="the filter is too long or has control characters")
    try:
        parsed = ScimFilter(text)
    except InvalidFilterException:
        raise
    except (ValueError, RecursionError) as exc:
        raise InvalidFilterException(detail=f"not a SCIM filter: {exc}"[:300]) from None
    return _condition(parsed.ast)


def filter_email(text: str) -> str | None:
    """The address a filter looks one user up by (`userName eq "…"`), else None."""
    node = ScimFilter(text).ast
    if isinstance(node, ValuePath) and _name(node.attr_path) == "emails":
        node, outer = node.val_filter, "emails"
    else:
        outer = ""
    if (
        isinstance(node, Comparison)
        and node.op == CompareOperator.eq
        and isinstance(node.value, str)
        and _name(node.attr_path, outer) in ("username", "emails", "emails.value")
    ):
        return email_normal_form(node.value).lower()
    return None
