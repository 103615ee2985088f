"""What the agent search says, in the page's language: made once per language.

The search's labels, hints and result words read the same on every search in a language, and
looking each up again (a lazy string asks Flask-Babel anew every time it is shown) would cost
more than the rest of the fragment. templates/agent/_search_words.html holds them.
"""

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

from webapp.agent_forms import REASON_CHOICES, reason_options

# str(locale) -> the module of templates/agent/_search_words.html in that language
_words_in = {}


def search_words(form):
    """The search's words (a SearchForm's labels among them) in the request's language."""
    language = str(get_locale())
    words = _words_in.get(language)
    if words is None:
        # The catalog's text is the app's own, as Jinja treats it (a lazy string shows as it is).
        labels = {field.name: Markup(field.label.text) for field in form}  # noqa: S704
        options = {None: reason_options(None)}
        options.update((choice.value, reason_options(choice.value)) for choice in REASON_CHOICES)
        template = current_app.jinja_env.get_template("agent/_search_words.html")
        words = template.make_module({"form_labels": labels, "reason_options": options})
        if not current_app.debug:  # templates change as one works
            _words_in[language] = words
    return words
