"""The page layout (templates/base.html), rendered once for each way it can look.

Every page is the same layout around its own title and main region. The layout's words,
links and scripts depend only on the language, on whether someone is signed in and on where
the app is mounted; what else it shows is the visitor's CSRF token and the link that switches
language and comes back to this page. Rendering it again for every page cost more than most
pages' own content.

So a page template is rendered with a stand-in layout that writes only the page's title and
main region, and those are put into a copy of the real layout rendered once, with markers
where the title, the main region, the token and the language link go, and kept as a format
string. The result is the page base.html would have made (tests compare the two).

In development (templates change as one works) and outside a request, pages are rendered
as they are, through base.html.
"""

import contextvars

from flask import current_app, has_request_context, request
from flask_login import current_user
from jinja2 import Template
from markupsafe import escape

from webapp.i18n import current_language
from webapp.templating import TranslatedEnvironment

LAYOUT = "base.html"
# Between the title and the main region in a page rendered with the stand-in layout. A
# rendered page never holds a NUL character of its own.
_SEPARATOR = "\x00main\x00"
# The stand-in: the page's title (or a mark that it keeps the layout's own) and main region.
_STAND_IN = (
    "{% block title %}\x00default title\x00{% endblock %}"
    + _SEPARATOR
    + "{% block main %}{% endblock %}"
)
_DEFAULT_TITLE = "\x00default title\x00"
# The real layout around markers, rendered once per language, sign-in state and mount point.
_MARKED = (
    '{% extends "' + LAYOUT + '" %}'
    "{% block title %}\x00title\x00\x00default\x00{{ super() }}\x00/default\x00{% endblock %}"
    "{% block main %}\x00main\x00{% endblock %}"
)

# True while a page is rendered with the stand-in layout.
_standing_in = contextvars.ContextVar("standing_in", default=False)


class LayoutEnvironment(TranslatedEnvironment):
    """The app's Jinja environment, giving pages the stand-in layout while they are rendered
    for a kept layout (see PageTemplate)."""

    def get_template(self, name, parent=None, globals=None):
        if name == LAYOUT and _standing_in.get():
            return self._stand_in()
        return super().get_template(name, parent, globals)

    def _stand_in(self):
        stand_in = self.__dict__.get("_stand_in_template")
        if stand_in is None:
            stand_in = self._stand_in_template = self.from_string(_STAND_IN)
        return stand_in


class PageTemplate(Template):
    """A template that, when it is a whole page, is put into its kept layout."""

    def render(self, *args, **kwargs):
        if not has_request_context() or current_app.debug:
            return super().render(*args, **kwargs)
        standing_in = _standing_in.set(True)
        try:
            rendered = super().render(*args, **kwargs)
        finally:
            _standing_in.reset(standing_in)
        if _SEPARATOR not in rendered:
            return rendered  # A fragment: no layout around it.
        title, main = rendered.split(_SEPARATOR)
        layout, default_title, languages = _layout(self.environment, dict(*args, **kwargs))
        globals_ = self.environment.globals
        filling = {"title": default_title if title == _DEFAULT_TITLE else title, "main": main}
        if "{token}" in layout:
            filling["token"] = globals_["csrf_token"]()
        for code in languages:
            filling["language_" + code] = escape(globals_["language_url"](code))
        return layout.format_map(filling)


# (language, signed in, script root) -> (format string of the layout, its own title, the
# languages it links to)
_layouts = {}


def _layout(environment, context):
    """The layout as this request's page shows it, rendered on first use."""
    key = (current_language(), current_user.is_authenticated, request.script_root)
    kept = _layouts.get(key)
    if kept is None:
        kept = _layouts[key] = _render_marked(environment, context)
    return kept


def _render_marked(environment, context):
    markers = {
        "csrf_token": lambda: "\x00token\x00",
        "language_url": lambda code: f"\x00language_{code}\x00",
    }
    marked = Template.render(environment.from_string(_MARKED), {**context, **markers})
    pieces = marked.split("\x00")
    # Even pieces are the layout's text, odd ones the markers' names.
    text = []
    default_title = ""
    languages = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            text.append(piece.replace("{", "{{").replace("}", "}}"))
        elif piece == "default":
            default_title = pieces[index + 1]
            pieces[index + 1] = ""
        elif piece != "/default":
            text.append("{" + piece + "}")
            if piece.startswith("language_"):
                languages.append(piece.removeprefix("language_"))
    return "".join(text), default_title, tuple(languages)
