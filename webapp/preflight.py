"""Pre-flight checks on submit, before any code is sent (registry and the bank's own records).

Each check returns the name of its failure or None; the first failure stops the run. The names
are stable: pages, audit events and agents read them.
"""

from functools import cached_property

from webapp import identifiers, registry
from webapp.i18n import lazy_gettext as _l
from webapp.models.binding import Binding

# An ID number that is not the customer's own is refused before the registry is asked about the
# card: otherwise which of the two refusals came back would tell a customer whether a name,
# region and card they typed in are someone else's.
CHECKS_IN_ORDER = (
    "not_own_id",
    "card_not_found",
    "card_not_activated",
    "card_lost",
    "card_frozen",
    "card_cancelled",
    "already_bound_to_you",
    "bound_elsewhere",
    "customer_has_binding",
    "account_ineligible",
    "same_account",
)


def run_checks(application):
    """The first failing check for this application, or None when it may go on."""
    facts = _Facts(application)
    for check in (
        _own_id,
        _card_matches,
        _card_active,
        _card_free,
        _customer_free,
        _account,
        _new_account,
    ):
        failure = check(application, facts)
        if failure:
            return failure
    return None


class _Facts:
    """What the checks read, each read once, when a check first needs it."""

    def __init__(self, application):
        self.application = application

    @cached_property
    def card(self):
        """The card in the registry, or None."""
        return registry.find_card(self.application.card_number)

    @cached_property
    def customers_binding(self):
        """The customer's active binding, or None."""
        return Binding.active_for(self.application.customer_id)


def _card_matches(application, facts):
    card = facts.card
    if (
        card is None
        or card.id_number != application.id_number
        or not identifiers.same_name(card.holder_name, application.full_name or "")
        or card.region != application.region
    ):
        return "card_not_found"
    return None


def _own_id(application, _facts):
    if application.customer.id_number != application.id_number:
        return "not_own_id"
    return None


def _card_active(_application, facts):
    status = facts.card.status
    if status == registry.CARD_ACTIVE:
        return None
    return {
        registry.CARD_NOT_ACTIVATED: "card_not_activated",
        registry.CARD_LOST: "card_lost",
        registry.CARD_FROZEN: "card_frozen",
        registry.CARD_CANCELLED: "card_cancelled",
    }.get(status, "card_frozen")


def _card_free(application, _facts):
    binding = Binding.active_for_card(application.card_number)
    if binding is None:
        return None
    if binding.customer_id == application.customer_id:
        if application.purpose == application.CHANGE_ACCOUNT:
            return None
        return "already_bound_to_you"
    return "bound_elsewhere"


def _customer_free(application, facts):
    if facts.customers_binding is None or application.purpose == application.CHANGE_ACCOUNT:
        return None
    return "customer_has_binding"


def _account(application, _facts):
    account = application.account
    if account is None or account.customer_id != application.customer_id:
        return "account_ineligible"
    if account.ineligibility:
        return "account_ineligible"
    return None


def _new_account(application, facts):
    if application.purpose != application.CHANGE_ACCOUNT:
        return None
    active = facts.customers_binding
    if active is not None and active.account_id == application.account_id:
        return "same_account"
    return None


# Refusals the customer can put right by changing an answer here; the others need something
# done elsewhere first (at the social security agency, a branch, or their binding).
CHANGE_AN_ANSWER = frozenset(
    {"card_not_found", "not_own_id", "card_cancelled", "account_ineligible", "same_account"}
)

MESSAGES = {
    "card_not_found": _l(
        "We could not find a social security card with these details. Check the card number, "
        "your name, ID number and insured region exactly as they appear on your cards."
    ),
    "not_own_id": _l(
        "This ID number is not the one we hold for you. You can only bind your own card. If our "
        "record is wrong, visit a branch with your ID card."
    ),
    "card_not_activated": _l(
        "Your card is not activated yet. Activate it at a social security service centre or a "
        "cooperating bank branch, then try again."
    ),
    "card_lost": _l(
        "Your card is reported lost. Report it found at a social security service centre or "
        "call 12333, then try again."
    ),
    "card_frozen": _l(
        "Your card is frozen by the social security agency. Call 12333 or visit a social "
        "security service centre to have it unfrozen, then try again."
    ),
    "card_cancelled": _l(
        "This card has been cancelled. Apply for a new card at a social security service "
        "centre, then bind the new card."
    ),
    "already_bound_to_you": _l(
        "This card is already bound to one of your accounts. To use another account, change "
        "the account of your binding instead."
    ),
    "bound_elsewhere": _l(
        "This card is already bound in another online-banking profile. If the card is yours, "
        "visit a branch with your ID card and social security card."
    ),
    "customer_has_binding": _l(
        "You already have a social security card bound. Unbind it first if you want to bind a "
        "different card."
    ),
    "account_ineligible": _l(
        "The chosen account cannot take a binding. Choose an active CNY debit card that has a "
        "reserved mobile number."
    ),
    "same_account": _l(
        "Your card is already bound to this account. Choose a different account to move it to."
    ),
}
