"""Flask-WTF forms: every field length-bounded, every message translated."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


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
