"""The card step's markup, written once per language and filled in for each request.

Running the field macro for each field and rendering the same template again for every page
cost more than all the rest of the step. So, once per language, the step
(templates/bind/_card.html) and each of its fields (the `field` macro of
templates/bind/_card_parts.html) are rendered with markers in place of what differs from one
request to the next (webapp.templating.Marked). A request fills in its own values, escaped as
the templates would have escaped them.
"""

from types import SimpleNamespace
from typing import NamedTuple

from flask import current_app, render_template, request, url_for
from markupsafe import Markup, escape

from webapp import binding, i18n, registry
from webapp.forms import CardDetailsForm
from webapp.sessions import csrf_token
from webapp.templating import Marked, keeps_rendered, kept, marker
from webapp.views.navigation import here, swap_title


class CardField(NamedTuple):
    """What one card-details field shows in this request."""

    name: str
    value: str | None  # for the region, the code chosen
    error: Markup | None  # the first thing wrong with it
    check: str  # the URL that checks it inline


def saved_fields(application):
    """The fields holding the answers saved so far (nothing is checked before a submit)."""
    step_url = request.script_root + request.path
    return [
        CardField(name, getattr(application, name), None, f"{step_url}/field/{name}")
        for name in CardDetailsForm.FIELDS
    ]


def sent_fields(form, check=None):
    """The fields of a checked form: what was sent (as the checks left it) and what is wrong.

    `check` is the URL that checks them, when not the step's own URL + /field/<name>.
    """
    step_url = request.script_root + request.path
    return [
        CardField(
            field.name,
            field.data,
            escape(field.errors[0]) if field.errors else None,  # Translated once, not per use
            check or f"{step_url}/field/{field.name}",
        )
        for field in form
        if field.name in CardDetailsForm.FIELDS
    ]


def for_request():
    """The card step in the request's language, made on its first use."""
    if not keeps_rendered():
        return CardStep()
    steps = kept("card step")  # str(locale) -> CardStep
    language = str(i18n.page_locale())
    step = steps.get(language)
    if step is None:
        step = steps[language] = CardStep()
    return step


# What a request fills in on the step (see templates/bind/_card.html).
_PAGE_MARKERS = ("swap_title", "action", "token", "summary", "fields", "back", "cancel")


class CardStep:
    """The card step in one language: its words (`words.title`...), its fields and itself."""

    def __init__(self):
        template = current_app.jinja_env.get_template("bind/_card_parts.html")
        self.words = template.make_module(
            {
                "step": 2,
                "steps": binding.STEPS,
                "regions": [(code, str(name)) for code, name in registry.REGIONS.items()],
                "max_lengths": CardDetailsForm.MAX_LENGTHS,
            }
        )
        # The region's list as it shows with each choice: none, the blank one, each region.
        self._options = {
            chosen: self.words.region_options(chosen) for chosen in (None, "", *registry.REGIONS)
        }
        self._fields = {
            (name, with_error): Marked(self.words.field(_field_markers(name, with_error)))
            for name in CardDetailsForm.FIELDS
            for with_error in (False, True)
        }
        self._page = Marked(
            render_template(
                "bind/_card.html",
                words=self.words,
                **{name: marker(name) for name in _PAGE_MARKERS},
            )
        )

    def field(self, field):
        """One field's markup, as the field macro writes it for these values (escaped)."""
        return self._fields[field.name, field.error is not None].fill(
            {
                "value": "" if field.value is None else field.value,
                "error": field.error,
                "check": field.check,
                "options": self._options.get(field.value) or self._options[None],
            }
        )

    def page(self, reference, fields, back, form=None):
        """The step's markup with these fields, where its Back link goes, and the error summary
        of a form sent."""
        summary = ""
        if form is not None:
            macros = current_app.jinja_env.get_template("macros.html").module
            summary = macros.error_summary(form)
        return self._page.fill(
            {
                "swap_title": swap_title(self.words.title),
                "action": here(),
                "token": csrf_token(),
                "summary": summary,
                "fields": Markup("\n    ").join(self.field(field) for field in fields),
                "back": back,
                "cancel": url_for("bind.cancel", reference=reference),
            }
        )


def _field_markers(name, with_error):
    return SimpleNamespace(
        name=name,
        value=marker("value"),
        error=marker("error") if with_error else None,
        check=marker("check"),
        options=marker("options"),
    )
