"""Rendering less for each request: templates compiled per language, and pages' parts kept.

Templates say `_("Log out")` and `_("Hello, %(name)s", name=...)`. Looking each of those up
again in the catalog on every page cost more than anything else most pages do. The words
are fixed, so each language gets its own compiled copy of every template, in which such a
call with a literal message is already its translation: marked safe (the catalog is the
app's own text), with %-placeholders filled from the call's values, escaped, as the
template's `_` would have done at run time (webapp._page_gettext). Outside a request, and in
debug mode (templates change as one works), templates are translated as they render.

What a page shows alike to everyone who sees it in a language can be rendered once and kept
(`kept`, where `keeps_rendered()`), with markers where each request's own values go
(`Marked`): the layout (webapp.layout), the card step (webapp.views.card_step), the guide and
the login page.
"""

from flask import current_app, has_request_context
from flask.templating import Environment
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from webapp import i18n

# The names templates translate with (see webapp._install_request_gettext).
GETTEXT_NAMES = frozenset(("_", "gettext"))
# Templates kept per language: more than the app has.
CACHE_SIZE = 400


def keeps_rendered():
    """Whether this app keeps the parts of pages it has rendered (KEEP_RENDERED; never in
    debug mode, where templates and static files change as one works)."""
    return current_app.config["KEEP_RENDERED"] and not current_app.debug


def kept(name):
    """This app's store (a dict) of what it keeps rendered under `name`."""
    stores = current_app.extensions.setdefault("kept_rendered", {})
    store = stores.get(name)
    if store is None:
        store = stores[name] = {}
    return store


# Around a marker's name in marked markup. Markup of ours never holds it; a visitor's text
# may, but it is put in only after the markup has been cut at its markers.
MARK = "\x00"


def marker(name):
    """Where a value goes in markup rendered once (see Marked)."""
    return Markup(f"{MARK}{name}{MARK}")  # noqa: S704 (a name of ours)


class Marked:
    """Markup rendered once with markers where each request's values go, kept in pieces.

    fill() puts a request's values where the markers were: values are escaped unless they
    are Markup already, as the template would have done.
    """

    def __init__(self, markup):
        self.pieces = str(markup).split(MARK)
        self.names = tuple(self.pieces[1::2])

    def fill(self, values):
        pieces = self.pieces.copy()
        for index in range(1, len(pieces), 2):
            pieces[index] = escape(values[pieces[index]])
        return Markup("".join(pieces))  # noqa: S704 (our markup, with escaped values)


class TranslatedEnvironment(Environment):
    """Flask's Jinja environment, handing out each template compiled for the page's language."""

    # On a language's own environment: its translations (None on the app's environment).
    translations = None

    def get_template(self, name, parent=None, globals=None):
        if globals:
            # A loaded template would take them into its globals, the environment's (make_globals).
            raise TypeError("templates here take no globals of their own")
        if self.translations is None and has_request_context() and not current_app.debug:
            return self.in_page_language().get_template(name, parent)
        return super().get_template(name, parent)

    def make_globals(self, d):
        """A template's globals: the environment's own dict, for a template without its own.

        Jinja layers a template's globals over the environment's in a ChainMap, which every
        render copies, and every import compares, key by key in Python (40-odd keys). No
        template here has globals of its own, so each gets the environment's dict, which is
        copied at C speed and still shows later changes to the environment's globals.
        """
        if not d:
            return self.globals
        return super().make_globals(d)

    def in_page_language(self):
        """The environment compiling for the page's language, made on its first use.

        Keyed by the request's translations, which the app keeps, one per language, for its life
        (webapp.i18n.page_translations), as Flask-Babel does for a forced locale's.
        """
        translations = i18n.page_translations()
        languages = self.__dict__.setdefault("_languages", {})
        environment = languages.get(translations)
        if environment is None:
            # An overlay shares the globals, filters and loader; its templates are its own.
            environment = languages[translations] = self.overlay(cache_size=CACHE_SIZE)
            environment.translations = translations
        return environment

    def _parse(self, source, name, filename):
        tree = super()._parse(source, name, filename)
        if self.translations is not None:
            tree = _Translator(self.translations).visit(tree)
            tree.set_environment(self)
        return tree


class _Translator(NodeTransformer):
    """Turns `_("literal", name=value, ...)` into its translation, filled at run time."""

    def __init__(self, translations):
        self.translations = translations

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (
            isinstance(node.node, nodes.Name)
            and node.node.name in GETTEXT_NAMES
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return node
        text = Markup(self.translations.ugettext(node.args[0].value))  # noqa: S704
        if not node.kwargs:
            # As _page_gettext: a message without values is formatted only for its "%%".
            text = text % {} if "%" in text else text
            return nodes.MarkSafe(nodes.Const(str(text)), lineno=node.lineno)
        values = nodes.Dict(
            [nodes.Pair(nodes.Const(pair.key), pair.value) for pair in node.kwargs],
            lineno=node.lineno,
        )
        return nodes.Mod(nodes.MarkSafe(nodes.Const(str(text))), values, lineno=node.lineno)
