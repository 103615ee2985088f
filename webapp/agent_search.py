"""Finding customers for an agent: recognise what was typed, then look it up by blind index only.

No table is ever decrypted to search it: every identifier is compared through its keyed blind
index (pii.BlindIndexField), and the registry is asked through its adapter.
"""

import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from peewee import JOIN, Value

from webapp import identifiers, pii, registry
from webapp.models import Account, Application, Binding, Customer
from webapp.models.binding import OPEN_STATUSES

REFERENCE = re.compile(r"SSB-[A-Z0-9]{8}")
MOBILE = re.compile(r"\+.*|1[0-9]{10}|861[0-9]{10}")
KINDS = ("reference", "id_number", "mobile", "card_number")
# Personal identifiers: looking one up needs a reason (PIPL art. 28; the access log says why).
NEEDS_REASON = frozenset({"id_number", "mobile", "card_number"})
MAX_RESULTS = 20

MASKS = {
    "reference": lambda value: value,
    "id_number": pii.mask_id_number,
    "mobile": pii.mask_mobile,
    "card_number": pii.mask_tail,
}


@dataclass(frozen=True)
class Identifier:
    """What an agent searched for: its kind and its normalised value."""

    kind: str
    value: str

    @property
    def masked(self):
        return MASKS[self.kind](self.value)

    @property
    def needs_reason(self):
        return self.kind in NEEDS_REASON


def recognise(text, card_pattern):
    """The Identifier a search box holds, told apart by its shape; raises identifiers.Invalid."""
    folded = identifiers.fold(text).upper()
    if not folded:
        raise identifiers.Invalid(
            _l("Enter an application reference, ID number, mobile number or card number")
        )
    if folded.startswith("SSB"):
        if REFERENCE.fullmatch(folded):
            return Identifier("reference", folded)
        raise identifiers.Invalid(
            _l("An application reference is SSB- and 8 letters or digits, like SSB-7K3M9QXD")
        )
    bare = folded.replace("-", "")
    if MOBILE.fullmatch(bare):
        try:
            return Identifier("mobile", identifiers.mobile(bare))
        except identifiers.Invalid:
            raise identifiers.Invalid(
                _l("This is not a valid mainland China mobile number: check each digit")
            ) from None
    if len(folded) in (15, 18) and folded[:-1].isdigit():
        try:
            return Identifier("id_number", identifiers.resident_id(folded))
        except identifiers.Invalid:
            raise identifiers.Invalid(
                _l("This is not a valid 18-character resident ID number: check each character")
            ) from None
    if re.fullmatch(card_pattern, folded):
        return Identifier("card_number", folded)
    raise identifiers.Invalid(
        _l(
            "We did not recognise this. Enter an application reference (SSB-…), an 18-character "
            "ID number, an 11-digit mobile number or a social security card number"
        )
    )


@dataclass
class Match:
    """A customer found by a search, how they were found, and where their binding stands."""

    customer: Customer
    found_by: set = field(default_factory=set)
    open_application: Application | None = None
    active_binding: Binding | None = None
    latest_reference: str = ""


def find(identifier):
    """The customers an identifier leads to (at most MAX_RESULTS), in a stable order."""
    sources = {}
    for customer_id, source in _lookups(identifier).tuples():
        sources.setdefault(customer_id, set()).add(source)
    holder = None
    if identifier.kind == "card_number":
        card = registry.find_card(identifier.value)
        holder = card.id_number if card else None
    condition = Customer.id.in_(list(sources))
    if holder:
        condition |= Customer.id_number_index == holder
    # Only what a result shows (masked name and ID number) and the registry check needs.
    columns = (Customer.id, Customer.name, Customer.id_number, Customer.id_number_index)
    customers = list(
        Customer.select(*columns).where(condition).order_by(Customer.id).limit(MAX_RESULTS)
    )
    matches = {}
    for customer in customers:
        found_by = set(sources.get(customer.id, ()))
        if holder and customer.id_number_index == pii.blind_index("ric", holder):
            found_by.add("registry")
        matches[customer.id] = Match(customer, found_by)
    _add_status(matches)
    return list(matches.values())


def _lookups(identifier):
    """One query: (customer id, where it was found) for every blind-index match."""
    kind, value = identifier.kind, identifier.value
    parts = []
    if kind == "reference":
        parts.append(_source(Application, Application.customer, Application.reference == value))
    elif kind == "id_number":
        parts.append(_source(Customer, Customer.id, Customer.id_number_index == value))
        parts.append(
            _source(Application, Application.customer, Application.id_number_index == value)
        )
    elif kind == "mobile":
        parts.append(_source(Account, Account.customer, Account.reserved_mobile_index == value))
    elif kind == "card_number":
        parts.append(
            _source(Application, Application.customer, Application.card_number_index == value)
        )
        parts.append(_source(Binding, Binding.customer, Binding.card_number_index == value))
    query = parts[0]
    for part in parts[1:]:
        query = query.union(part)
    return query


def _source(model, customer_column, condition):
    label = {Customer: "customer", Application: "application", Account: "account"}.get(
        model, "binding"
    )
    return model.select(customer_column.alias("customer_id"), Value(label).alias("source")).where(
        condition
    )


def _add_status(matches):
    """Fill each match's open application and active binding, in one query.

    Only the columns a result shows are read: no application's ID or card number is decrypted,
    only the bound account's number, for its masked form.
    """
    if not matches:
        return
    active = Binding.status == Binding.ACTIVE
    rows = (
        Application.select(
            Application.id,
            Application.reference,
            Application.status,
            Application.customer,
            Binding.id,
            Binding.account,
            Account.id,
            Account.number,
        )
        .join(
            Binding,
            JOIN.LEFT_OUTER,
            on=((Binding.application == Application.id) & active),
            attr="active_binding",
        )
        .join(Account, JOIN.LEFT_OUTER, on=(Binding.account == Account.id))
        .where(Application.customer.in_(list(matches)))
        .order_by(Application.id.desc())
    )
    for application in rows:
        match = matches[application.customer_id]
        match.latest_reference = match.latest_reference or application.reference
        if application.status in OPEN_STATUSES and match.open_application is None:
            match.open_application = application
        if getattr(application, "active_binding", None) is not None:
            match.active_binding = application.active_binding
