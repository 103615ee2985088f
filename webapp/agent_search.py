"""Finding customers for an agent: recognise what was typed, then look it up by blind index only.

No table is ever decrypted to search it: every identifier is compared through its keyed blind
index (pii.BlindIndexField), and the registry is asked through its adapter.
"""

import re
from dataclasses import dataclass, field
from functools import reduce

from peewee import JOIN, Value

from webapp import identifiers, pii, registry
from webapp.i18n import lazy_gettext as _l
from webapp.models import Account, Application, Binding, Customer
from webapp.models.binding import OPEN_STATUSES
from webapp.prepared import Prepared

REFERENCE = re.compile(r"SSB-[A-Z0-9]{8}")
MOBILE = re.compile(r"\+.*|1[0-9]{10}|861[0-9]{10}")
KINDS = ("reference", "id_number", "mobile", "card_number")
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
    latest_reference: str = ""
    open_reference: str = ""  # the open application, if any, and its status
    open_status: str = ""
    bound_account: str | None = None  # the account the card is bound to, masked


def find(identifier):
    """The customers an identifier leads to (at most MAX_RESULTS), in a stable order."""
    # The places of one kind hold the same blind index (or, for a reference, the value itself).
    value = PLACES[identifier.kind][0].column.db_value(identifier.value)
    holder = None
    if identifier.kind == "card_number":
        card = registry.find_card(identifier.value)
        if card and card.id_number:
            holder = REGISTRY_HOLDER.column.db_value(card.id_number)
    search = _SEARCHES[identifier.kind, holder is not None]
    matches = {}
    for row in search.customers.all(value, holder):
        match = matches.get(row.id)
        if match is None:
            if len(matches) == MAX_RESULTS:
                break
            match = matches[row.id] = Match(row)
        match.found_by.add(row.source)
    if len(matches) == 1:
        _add_status(matches, _STATUSES_OF_ONE.execute(next(iter(matches))))
    elif matches:
        _add_status(matches, search.statuses.execute(value, holder))
    return list(matches.values())


def _add_status(matches, applications):
    """Fill each match's latest application, open application and bound account."""
    for customer_id, reference, status, binding_id, account_number in applications:
        match = matches.get(customer_id)
        if match is None:  # a customer found beyond the first MAX_RESULTS
            continue
        match.latest_reference = match.latest_reference or reference
        if status in OPEN_STATUSES and not match.open_reference:
            match.open_reference, match.open_status = reference, status
        if binding_id is not None:
            match.bound_account = pii.mask_tail(account_number)


# Where each kind of identifier is looked for, and the queries that look there.


@dataclass(frozen=True)
class Place:
    """Where an identifier may be found: a column compared, the customer it leads to, a label."""

    label: str
    column: object
    customer: object

    def lookup(self, value, *, labelled):
        """SELECT the customer (and this place's label) where the column equals the value."""
        columns = [self.customer.alias("customer_id")]
        if labelled:
            columns.append(Value(self.label).alias("source"))
        return self.column.model.select(*columns).where(self.column == value)


PLACES = {
    "reference": [Place("application", Application.reference, Application.customer)],
    "id_number": [
        Place("customer", Customer.id_number_index, Customer.id),
        Place("application", Application.id_number_index, Application.customer),
    ],
    "mobile": [Place("account", Account.reserved_mobile_index, Account.customer)],
    "card_number": [
        Place("application", Application.card_number_index, Application.customer),
        Place("binding", Binding.card_number_index, Binding.customer),
    ],
}
# A card's holder, as the registry knows them, found by their ID number in the bank's records.
REGISTRY_HOLDER = Place("registry", Customer.id_number_index, Customer.id)


@dataclass(frozen=True)
class Search:
    """The queries of a search by one kind of identifier, compiled once (webapp.prepared).

    Both take the identifier and the card holder's ID number as blind indexes, so no table is
    ever decrypted to search it: `customers` gives each customer found (the columns a result
    shows) once per place, `statuses` the applications of all of them.
    """

    customers: Prepared
    statuses: Prepared


def _search(kind, by_holder):
    """The Search for one kind of identifier (a card number also by its holder, or not)."""
    # A customer comes once per place it was found in: enough rows for MAX_RESULTS of them.
    rows = MAX_RESULTS * (len(PLACES[kind]) + int(by_holder))

    def found(value, holder, labelled):
        lookups = [place.lookup(value, labelled=labelled) for place in PLACES[kind]]
        if by_holder:
            lookups.append(REGISTRY_HOLDER.lookup(holder, labelled=labelled))
        return reduce(lambda union, lookup: union.union(lookup), lookups)

    def customers(value, holder):
        found_in = found(value, holder, labelled=True).alias("found")
        return (
            Customer.select(Customer.id, Customer.name, Customer.id_number, found_in.c.source)
            .join(found_in, on=(found_in.c.customer_id == Customer.id))
            .order_by(Customer.id)
            .limit(rows)
            .objects()  # each row a Customer with its source
        )

    def statuses(value, holder):
        return _statuses(Application.customer.in_(found(value, holder, labelled=False)))

    return Search(Prepared(customers), Prepared(statuses))


def _statuses(condition):
    """(customer, reference, status, active binding, its account number) of applications, newest
    first. No application's ID or card number is read, only the bound account's number."""
    active = Binding.status == Binding.ACTIVE
    return (
        Application.select(
            Application.customer,
            Application.reference,
            Application.status,
            Binding.id,
            Account.number,
        )
        .join(Binding, JOIN.LEFT_OUTER, on=((Binding.application == Application.id) & active))
        .join(Account, JOIN.LEFT_OUTER, on=(Binding.account == Account.id))
        .where(condition)
        .order_by(Application.id.desc())
        .tuples()
    )


_SEARCHES = {(kind, False): _search(kind, False) for kind in KINDS}
_SEARCHES["card_number", True] = _search("card_number", True)
# Most searches find one customer: their applications are read by their id alone.
_STATUSES_OF_ONE = Prepared(lambda customer: _statuses(Application.customer == customer))
