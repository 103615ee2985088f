"""Forms of the agent console: search, the reason for an action, the access-log filter.

The reason list and the note box are drawn on every console page that asks why, so they render
through lean widgets: the same HTML as WTForms' own widgets write, without their generic
formatting machinery, and the reason list's options are written once per language.
"""

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Choice, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import Select, TextInput
from wtforms.widgets.core import clean_key

from webapp import agent_actions
from webapp.agent_timeline import REASONS
from webapp.i18n import lazy_gettext as _l

REASON_CHOICES = [SelectChoice("", _l("Choose a reason"))] + [
    SelectChoice(code, label) for code, label in REASONS.items()
]

NOTE_TOO_LONG = _l("The details can be at most %(max)d characters long.")


def _attributes(attributes):
    """HTML attributes exactly as WTForms writes them: sorted, True bare, False left out."""
    written = []
    for name, value in sorted(attributes.items()):
        if value is True:
            written.append(clean_key(name))
        elif value is not False:
            value = str(escape(value)).replace('"', "&quot;")
            written.append(f'{clean_key(name)}="{value}"')
    return " ".join(written)


def _add_validation_attributes(widget, field, attributes):
    """The attributes a field's validators imply (maxlength...), as WTForms' widgets add them."""
    for name, value in vars(field.flags).items():
        if name in widget.validation_attrs and name not in attributes:
            attributes[name] = value() if callable(value) else value


class LeanTextInput(TextInput):
    """A text input, written as TextInput writes it."""

    def __call__(self, field, **attributes):
        attributes.setdefault("id", field.id)
        attributes.setdefault("type", self.input_type)
        if "value" not in attributes:
            attributes["value"] = field._value()
        _add_validation_attributes(self, field, attributes)
        attributes["name"] = field.name
        return Markup(f"<input {_attributes(attributes)}>")  # noqa: S704 (values escaped)


# (str(locale), the reason chosen or None) -> the reason list's options
_reason_options = {}


def reason_options(chosen):
    """The reason list's <option>s as Select writes them, with `chosen` selected (none when it is
    not a choice), in the page's language. They differ only by language and by the choice, so
    each variant is written once and kept."""
    selected = chosen if any(choice.value == chosen for choice in REASON_CHOICES) else None
    key = (str(get_locale()), selected)
    options = _reason_options.get(key)
    if options is None:
        options = _reason_options[key] = Markup(  # noqa: S704 (values and labels escaped)
            "".join(
                Select.render_option(
                    Choice(choice.value, choice.label, choice.value == selected, choice.render_kw)
                )
                for choice in REASON_CHOICES
            )
        )
    return options


class ReasonSelect(Select):
    """The list of reasons, written as Select writes it."""

    def __call__(self, field, **attributes):
        attributes.setdefault("id", field.id)
        _add_validation_attributes(self, field, attributes)
        attributes["name"] = field.name
        html = f"<select {_attributes(attributes)}>{reason_options(field.data)}</select>"
        return Markup(html)  # noqa: S704 (values and labels escaped)


class ReasonField(SelectField):
    """Why an agent looks someone up or acts: a blank choice, then REASONS."""

    widget = ReasonSelect()

    def __init__(self, label, **kwargs):
        super().__init__(label, choices=REASON_CHOICES, validate_choice=False, **kwargs)


class SearchForm(FlaskForm):
    """One box for any identifier, and why the agent is looking."""

    class Meta:
        # CSRFProtect checks every POST's token before any view runs, and the search template
        # writes the token itself: the form needs no token field of its own.
        csrf = False

    query = StringField(
        _l("Application reference, ID number, mobile number or card number"),
        validators=[Length(max=60, message=_l("That is too long to be an identifier"))],
        widget=LeanTextInput(),
    )
    reason = ReasonField(_l("Reason for looking up"))
    note = StringField(
        _l("Details"),
        validators=[Length(max=agent_actions.NOTE_LENGTH, message=NOTE_TOO_LONG)],
        widget=LeanTextInput(),
    )

    def validate_reason(self, field):
        if field.data and field.data not in REASONS:
            raise ValidationError(_l("Choose a reason from the list"))

    def reason_problem(self):
        """Add the message for a missing reason (or missing details for Other); True if any."""
        problem = agent_actions.reason_problem(self.reason.data, self.note.data)
        if problem == "missing":
            self.reason.errors = [_l("Choose why you are looking this up")]
        elif problem == "note_missing":
            self.note.errors = [_l("Say why in a few words when the reason is Other")]
        return problem is not None


class ReasonForm(FlaskForm):
    """The reason an agent gives for an action, with optional details."""

    reason = ReasonField(
        _l("Reason"), validators=[InputRequired(_l("Choose the reason for this action"))]
    )
    note = StringField(
        _l("Details"),
        validators=[Length(max=agent_actions.NOTE_LENGTH, message=NOTE_TOO_LONG)],
        widget=LeanTextInput(),
    )

    def validate_reason(self, field):
        if field.data not in REASONS:
            raise ValidationError(_l("Choose the reason for this action"))

    def validate_note(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Say why in a few words when the reason is Other"))


class OpenRecordForm(ReasonForm):
    """Why an agent opens a customer's record that no search led to."""

    WHY = _l("Choose why you are opening this record")

    reason = ReasonField(_l("Reason for opening the record"), validators=[InputRequired(WHY)])

    def validate_reason(self, field):
        if field.data not in REASONS:
            raise ValidationError(self.WHY)


class DayField(DateField):
    """A calendar day, as <input type="date"> sends it (2026-11-27). Text that is not one is
    named in the message rather than put back in the field, which could not show it."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            typed = " ".join(valuelist)[:20]
            raise ValueError(
                _(
                    "“%(typed)s” is not a date. Enter one like %(example)s.",
                    typed=typed,
                    example="2026-11-27",
                )
            ) from None

    def _value(self):
        return self.data.isoformat() if self.data else ""


class AccessLogFilter(FlaskForm):
    """Which lookups a supervisor wants to read: by agent and by date (a GET form)."""

    class Meta:
        csrf = False

    agent = SelectField(_l("Agent"), validate_choice=False, validators=[Optional()])
    since = DayField(_l("From"), validators=[Optional()], render_kw={"autocomplete": "off"})
    until = DayField(_l("To"), validators=[Optional()], render_kw={"autocomplete": "off"})

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent.choices = [("", _l("All agents"))] + [
            (str(agent.id), f"{agent.display_name} ({agent.username})") for agent in agents
        ]

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date must be on or after the start date"))

    def agent_id(self):
        """The chosen agent's id, or None for all agents (or an unknown choice)."""
        value = self.agent.data or ""
        known = {choice for choice, _label in self.agent.choices if choice}
        return int(value) if value in known else None
