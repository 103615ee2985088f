"""What the agent search says in the page's language: its fields' names and where a customer
was found.

These read the same on every search in a language, so each is put in words once per language:
a lazy string asks Flask-Babel for its translation anew every time a page shows it.
"""

from flask_babel import get_locale
from markupsafe import Markup

from webapp.agent_search import KIND_LABELS, SOURCE_LABELS

# str(locale) -> SearchWords
_in_words = {}


def _words(text):
    # The catalog's text is the app's own, as Jinja treats it (a lazy string is shown as it is).
    return Markup(text)  # noqa: S704


class SearchWords:
    """The search form's field labels, the kinds of identifier and the places searched."""

    def __init__(self, form):
        self.labels = {field.name: _words(field.label.text) for field in form}
        self.kinds = {kind: _words(label) for kind, label in KIND_LABELS.items()}
        self.sources = {source: _words(label) for source, label in SOURCE_LABELS.items()}

    def found_by(self, sources):
        """Where a customer was found, in words, always in the same order."""
        return Markup(", ").join(self.sources[source] for source in sorted(sources))


def search_words(form):
    """The words of the search (a SearchForm's labels among them) in the page's language."""
    key = str(get_locale())
    words = _in_words.get(key)
    if words is None:
        words = _in_words[key] = SearchWords(form)
    return words
