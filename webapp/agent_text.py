"""What the agent search says, in the page's language: made once per language.

The search's labels, hints and result words read the same on every search in a language, and
looking each up again (a lazy string asks Flask-Babel anew every time it is shown) would cost
more than the rest of the fragment. templates/agent/_search_words.html holds them.
"""

from flask import current_app
from markupsafe import Markup

from webapp import i18n
from webapp.agent_forms import REASON_CHOICES, reason_options
from webapp.templating import keeps_rendered, kept


def search_words(form):
    """The search's words (a SearchForm's labels among them) in the request's language."""
    # str(locale) -> the module of templates/agent/_search_words.html in that language
    words_in = kept("agent search words") if keeps_rendered() else {}
    language = str(i18n.page_locale())
    words = words_in.get(language)
    if words is None:
        # The catalog's text is the app's own, as Jinja treats it (a lazy string shows as it is).
        labels = {field.name: Markup(field.label.text) for field in form}  # noqa: S704
        options = {None: reason_options(None)}
        options.update((choice.value, reason_options(choice.value)) for choice in REASON_CHOICES)
        template = current_app.jinja_env.get_template("agent/_search_words.html")
        words = words_in[language] = template.make_module(
            {"form_labels": labels, "reason_options": options}
        )
    return words
