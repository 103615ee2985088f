"""Forms of paying a fee: the contribution base, sending the code, entering the code."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from webapp import i18n, payments
from webapp.forms import CodeForm
from webapp.i18n import lazy_gettext as _l


class BaseForm(FlaskForm):
    """The contribution base a flexible worker chooses, in yuan; a GET form, nothing changes."""

    class Meta:
        csrf = False

    base = StringField(
        _l("Contribution base (yuan)"),
        validators=[InputRequired(_l("Enter a contribution base")), Length(max=20)],
    )

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fen = None

    def validate_base(self, field):
        fen = payments.parse_base(field.data)
        if fen is None:
            raise ValidationError(_l("Enter the base in yuan, like 6000 or 6000.50"))
        if not self.item.base_allowed(fen):
            raise ValidationError(
                _l(
                    "Enter a base from %(low)s to %(high)s",
                    low=i18n.format_money(self.item.base_min_fen),
                    high=i18n.format_money(self.item.base_max_fen),
                )
            )
        self.fen = fen


class _Payment:
    """The idempotency key of the confirm page, and the base it showed, carried along."""

    key = HiddenField(validators=[InputRequired(), Length(max=64)])
    base = HiddenField(validators=[Length(max=20)])


class SendCodeForm(_Payment, FlaskForm):
    """Confirm the payment: send the code that authorises it. The code page's "Send a new code"
    posts the same form with `again` set."""

    again = HiddenField(validators=[Optional(), AnyOf(("1",))])


class PayForm(_Payment, CodeForm):
    """Authorise the payment with the code from the text message."""
