"""Flask-WTF forms: every field length-bounded, every message translated."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, ValidationError

from webapp import identifiers, preflight, registry
from webapp.i18n import lazy_gettext as _l


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(
        _l("Username"),
        validators=[InputRequired(_l("Enter your username")), Length(max=40)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password")), Length(max=128)],
    )


class StartForm(FlaskForm):
    """Step 1: the customer has what they need and starts an application."""


class CancelForm(FlaskForm):
    """Cancel the open application."""


def _checked(checker, *args):
    """A WTForms validator that runs an identifiers checker and keeps its normalised value."""

    def validate(form, field):
        try:
            field.data = checker(field.data, *args)
        except identifiers.Invalid as exc:
            raise ValidationError(exc.message) from None

    return validate


def _card_number(value):
    return identifiers.card_number(value, current_app.config["CARD_NUMBER_PATTERN"])


class CardDetailsForm(FlaskForm):
    """Step 2: the card holder's name, ID number, card number and insured region."""

    FIELDS = ("full_name", "id_number", "card_number", "region")
    # The longest each text answer may be; the card step's inputs carry it as their maxlength.
    MAX_LENGTHS = {"full_name": 60, "id_number": 40, "card_number": 40}

    full_name = StringField(
        _l("Full name"),
        validators=[
            Length(
                max=MAX_LENGTHS["full_name"],
                message=_l("The full name can be at most %(max)d characters long."),
            ),
            _checked(identifiers.person_name),
        ],
    )
    id_number = StringField(
        _l("Resident ID number"),
        validators=[
            Length(
                max=MAX_LENGTHS["id_number"],
                message=_l("The resident ID number can be at most %(max)d characters long."),
            ),
            _checked(identifiers.resident_id),
        ],
    )
    card_number = StringField(
        _l("Social security card number"),
        validators=[
            Length(
                max=MAX_LENGTHS["card_number"],
                message=_l("The card number can be at most %(max)d characters long."),
            ),
            _checked(_card_number),
        ],
    )
    region = SelectField(
        _l("Insured region"),
        choices=[SelectChoice("", _l("Choose a region"))]
        + [SelectChoice(code, name) for code, name in registry.REGIONS.items()],
        validators=[InputRequired(_l("Choose where you are insured"))],
    )

    def validate_region(self, field):
        if field.data not in registry.REGIONS:
            raise ValidationError(_l("Choose where you are insured"))

    @classmethod
    def one_field(cls, name):
        """A form of this one field, to check it as the customer leaves it (KeyError if unknown)."""
        return _ONE_CARD_FIELD[name]()


class _OneCardField(CardDetailsForm):
    class Meta:
        # It saves nothing: the request's own CSRF check (app-wide) is all it needs.
        csrf = False


# One form class per field: the others set to None are left out of it.
_ONE_CARD_FIELD = {
    name: type(
        f"CardDetailsForm_{name}",
        (_OneCardField,),
        {other: None for other in CardDetailsForm.FIELDS if other != name},
    )
    for name in CardDetailsForm.FIELDS
}


class AccountForm(FlaskForm):
    """Step 3: the account to bind, among the customer's eligible accounts."""

    account = RadioField(_l("Account"), coerce=str, validate_choice=False)

    def __init__(self, *args, eligible_ids, bound_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.eligible_ids = {str(i) for i in eligible_ids}
        self.bound_id = None if bound_id is None else str(bound_id)  # moving: the account now

    def validate_account(self, field):
        if field.data is not None and field.data == self.bound_id:
            raise ValidationError(preflight.MESSAGES["same_account"])
        if field.data not in self.eligible_ids:
            raise ValidationError(_l("Choose the account to bind"))


class CheckAnswersForm(FlaskForm):
    """Step 4: agree to the agreement and, separately, to processing sensitive information."""

    agree = BooleanField(_l("I have read and agree to the binding agreement"))
    consent = BooleanField(
        _l(
            "I agree that the bank processes my ID number and social security card number, "
            "which are sensitive personal information, to check and keep this binding"
        )
    )

    def validate_agree(self, field):
        if not field.data:
            raise ValidationError(_l("Tick to confirm you agree to the binding agreement"))

    def validate_consent(self, field):
        if not field.data:
            raise ValidationError(
                _l("Tick to agree to the processing of your sensitive personal information")
            )


class CodeForm(FlaskForm):
    """The 6-digit code from the SMS, and which challenge it answers."""

    challenge_id = HiddenField(validators=[Length(max=64)])
    code = StringField(
        _l("Verification code"),
        validators=[
            InputRequired(_l("Enter the 6-digit code from the text message")),
            Length(max=12),
        ],
    )

    def validate_code(self, field):
        digits = "".join(identifiers.fold(field.data or ""))
        if not (len(digits) == 6 and digits.isdigit()):
            raise ValidationError(_l("Enter the 6-digit code from the text message"))
        field.data = digits


# Why a customer unbinds, as they choose it (the agent's timeline shows the same words).
UNBIND_REASONS = {
    "not_needed": _l("I no longer need these services here"),
    "other_bank": _l("I will use another bank"),
    "card_replaced": _l("My card was replaced"),
    "other": _l("Another reason"),
}


class UnbindForm(FlaskForm):
    """Why the customer unbinds (kept with the record)."""

    reason = RadioField(
        _l("Why do you want to unbind the card?"),
        choices=[SelectChoice(code, label) for code, label in UNBIND_REASONS.items()],
        validators=[InputRequired(_l("Choose why you want to unbind the card"))],
    )
