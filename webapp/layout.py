"""The page layout (templates/base.html), rendered once for each way it can look.

Every page is the same layout around its own title and main region. The layout's words,
links and scripts depend only on the language, on whether someone is signed in and on where
the app is mounted; what else it shows is the visitor's CSRF token and the link that switches
language and comes back to this page. Rendering it again for every page cost more than most
pages' own content.

So a page template is rendered with a stand-in layout that writes only the page's title and
main region, and those are put into a copy of the real layout rendered once with markers
where the title, the main region, the token and the language link go (see
webapp.templating.Marked). The result is the page base.html would have made (tests compare
the two).

Where the app keeps nothing rendered (webapp.templating.keeps_rendered) and outside a request,
pages are rendered as they are, through base.html.
"""

import contextvars
import secrets
from types import SimpleNamespace

from flask import has_request_context, request
from flask_login import current_user
from jinja2 import Template
from markupsafe import Markup

from webapp.i18n import current_language
from webapp.templating import MARK, Marked, TranslatedEnvironment, keeps_rendered, kept, marker

LAYOUT = "base.html"
# Between the title and the main region that the stand-in writes, and what it writes for a
# page without a title of its own. Random for each process, so no page can hold them.
_SEPARATOR = secrets.token_hex(16)
_NO_TITLE = secrets.token_hex(16)
_STAND_IN = (
    "{% block title %}"
    + _NO_TITLE
    + "{% endblock %}"
    + _SEPARATOR
    + "{% block main %}{% endblock %}"
)
# The real layout, marked: the layout's own title is kept between `default` markers.
_MARKED = (
    f'{{% extends "{LAYOUT}" %}}'
    f"{{% block title %}}{MARK}title{MARK}{MARK}default{MARK}{{{{ super() }}}}"
    f"{MARK}/default{MARK}{{% endblock %}}"
    f"{{% block main %}}{MARK}main{MARK}{{% endblock %}}"
)

# While a page renders for a kept layout: a list that the stand-in's use is noted in.
_standing_in = contextvars.ContextVar("standing_in", default=None)


class LayoutEnvironment(TranslatedEnvironment):
    """The app's Jinja environment, giving pages the stand-in layout while they are rendered
    for a kept layout (see PageTemplate)."""

    def get_template(self, name, parent=None, globals=None):
        used = _standing_in.get()
        if name == LAYOUT and used is not None:
            used.append(name)
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
        if not has_request_context() or not keeps_rendered():
            return super().render(*args, **kwargs)
        used = []
        standing_in = _standing_in.set(used)
        try:
            rendered = super().render(*args, **kwargs)
        finally:
            _standing_in.reset(standing_in)
        if not used:
            return rendered  # A fragment: no layout around it.
        title, _, main = rendered.partition(_SEPARATOR)
        layout, default_title = _layout(self.environment, dict(*args, **kwargs))
        globals_ = self.environment.globals
        values = {
            "title": default_title if title == _NO_TITLE else Markup(title),  # noqa: S704
            "main": Markup(main),  # noqa: S704 (rendered, and escaped, by Jinja)
        }
        for name in layout.names:
            if name == "token":
                values[name] = globals_["csrf_token"]()
            elif name.startswith("language_"):
                values[name] = globals_["language_url"](name.removeprefix("language_"))
        return str(layout.fill(values))


def _layout(environment, context):
    """The layout as this request's page shows it, rendered on first use."""
    signed_in = current_user.is_authenticated
    key = (current_language(), signed_in, request.script_root)
    layouts = kept("layouts")
    found = layouts.get(key)
    if found is None:
        found = layouts[key] = _render_marked(environment, context, signed_in)
    return found


def _render_marked(environment, context, signed_in):
    """The layout with markers, and its own title. It is rendered for everyone who sees it in
    this language and sign-in state: it is given no user, only whether someone is signed in,
    so that nothing personal can be kept in it."""
    markers = {
        "current_user": SimpleNamespace(is_authenticated=signed_in),
        "csrf_token": lambda: marker("token"),
        "language_url": lambda code: marker(f"language_{code}"),
    }
    marked = Template.render(environment.from_string(_MARKED), {**context, **markers})
    before, _, rest = marked.partition(f"{MARK}default{MARK}")
    default_title, _, after = rest.partition(f"{MARK}/default{MARK}")
    return Marked(before + after), Markup(default_title)  # noqa: S704 (rendered by Jinja)
