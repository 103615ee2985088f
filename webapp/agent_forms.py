"""Forms of the agent console: search, the reason for an action, the access-log filter."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from webapp import agent_actions
from webapp.agent_timeline import REASONS


def _reason_choices(blank):
    return [("", blank)] + [(code, label) for code, label in REASONS.items()]


class SearchForm(FlaskForm):
    """One box for any identifier, and why the agent is looking."""

    query = StringField(
        _l("Application reference, ID number, mobile number or card number"),
        validators=[Length(max=60, message=_l("That is too long to be an identifier"))],
    )
    reason = SelectField(_l("Reason for looking up"), validate_choice=False)
    note = StringField(
        _l("Details"),
        validators=[Length(max=agent_actions.NOTE_LENGTH)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = _reason_choices(_l("Choose a reason"))

    def validate_reason(self, field):
        if field.data and field.data not in REASONS:
            raise ValidationError(_l("Choose a reason from the list"))

    def reason_problem(self):
        """Add the message for a missing reason (or missing details for Other); True if any."""
        problem = agent_actions.reason_problem(self.reason.data, self.note.data)
        if problem == "missing":
            self.reason.errors = [_l("Choose why you are looking up an ID, mobile or card number")]
        elif problem == "note_missing":
            self.note.errors = [_l("Say why in a few words when the reason is Other")]
        return problem is not None


class ReasonForm(FlaskForm):
    """The reason an agent gives for an action, with optional details."""

    reason = SelectField(
        _l("Reason"),
        validators=[InputRequired(_l("Choose the reason for this action"))],
        validate_choice=False,
    )
    note = StringField(_l("Details"), validators=[Length(max=agent_actions.NOTE_LENGTH)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = _reason_choices(_l("Choose a reason"))

    def validate_reason(self, field):
        if field.data not in REASONS:
            raise ValidationError(_l("Choose the reason for this action"))

    def validate_note(self, field):
        if self.reason.data == "other" and not (field.data or "").strip():
            raise ValidationError(_l("Say why in a few words when the reason is Other"))


class AccessLogFilter(FlaskForm):
    """Which lookups a supervisor wants to read: by agent and by date (a GET form)."""

    class Meta:
        csrf = False

    agent = SelectField(_l("Agent"), validate_choice=False, validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()], render_kw={"autocomplete": "off"})
    until = DateField(_l("To"), validators=[Optional()], render_kw={"autocomplete": "off"})

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
        return int(value) if value.isdigit() else None
