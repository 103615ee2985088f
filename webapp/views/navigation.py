"""Where to send the customer next: safe local redirects and htmx-aware page rendering."""

from urllib.parse import urlsplit

from flask import current_app, make_response, redirect, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from webapp.i18n import current_language
from webapp.sessions import csrf_token
from webapp.templating import keeps_rendered, kept


def here(with_query=True):
    """This page's address as the browser asked for it: the app's mount point (SCRIPT_NAME),
    the path and, unless with_query is False, the query string."""
    path = request.full_path.rstrip("?") if with_query else request.path
    return request.script_root + path


def page_to_return_to():
    """Where to come back to after logging in: this page, or for a form sent (a POST, whose
    address may answer only forms: "Send a new code") the nearest page above its address,
    where such forms live. None when there is none."""
    if request.method == "GET":
        return here()
    adapter = current_app.create_url_adapter(request)
    path = request.path
    while path:
        try:
            adapter.match(path, method="GET")
        except HTTPException:  # no page here (or only with a slash added): try the one above
            path = path.rsplit("/", 1)[0]
            continue
        # The form's own page keeps its query (a payment's key and base); a page above has its
        # own.
        return here() if path == request.path else request.script_root + path
    return None


def send_to_log_in(login_url):
    """To the login page: a redirect, or for htmx a whole new page at that address (swapped
    into the page that asked, the login form would post to that page's address)."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 200)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def safe_next(target, default=None):
    """A local path to go to, never another site (by default the app's front page)."""
    if default is None:
        default = request.script_root + "/"
    if not target:
        return default
    if "\\" in target:  # some browsers read a backslash as a slash: "/\\evil" is "//evil"
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def wants_fragment(target="main"):
    """True when htmx asked to swap just the page's main region (not a history restore)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == target
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def bank_name():
    """The bank's name in the page's language."""
    config = current_app.config
    return config["BANK_NAME_EN"] if current_language() == "en" else config["BANK_NAME_ZH"]


def swap_title(title):
    """A page fragment's <title>: htmx gives the tab this title when it swaps the fragment in
    as the main region, so it names the bank as the layout's title does. A whole page has its
    title in the layout's head; a fragment inside it writes nothing here."""
    if not wants_fragment():
        return ""
    return Markup("<title>%s · %s</title>") % (title, bank_name())


def render_page(page, fragment, **context):
    """The whole page (which includes the fragment), or the fragment alone for an htmx swap.

    A fragment answer names its URL so htmx puts it in the history, even after a redirect.
    """
    if not wants_fragment():
        return render_template(page, fragment=fragment, **context)
    response = make_response(render_template(fragment, **context))
    response.headers["HX-Push-Url"] = here()
    return response


def render_with_token(template, make_context):
    """A page that is the same for every visitor but for their CSRF token (a login form with
    nothing to report): rendered once per language, then given each visitor's own token.
    make_context() gives the template's values; it is called only when the page is rendered.

    The token is long and random, so it appears in the page only where the page put it.
    """
    token = csrf_token()
    if not keeps_rendered():
        return render_template(template, **make_context())
    # (template, language, mount point) -> (the token it holds, the page)
    pages = kept("token pages")
    key = (template, current_language(), request.script_root)
    found = pages.get(key)
    if found is not None:
        return found[1].replace(found[0], token)
    page = render_template(template, **make_context())
    if token in page:
        pages[key] = (token, page)
    return page


def whole_page_replaces_the_page(response):
    """After every request: a whole page sent to htmx replaces the page it was asked from.

    htmx swaps an answer into the region that asked for it. Most pages answer htmx with their
    main region only, but a request can end on a page that does not: a form whose answer
    redirects to such a page, a session that ended and sends the visitor to log in, an error.
    Swapped in as it is, that page would show inside the other, with two mastheads. So htmx is
    told to put its body in place of the whole body, as a full page load would (the layout's
    head is the same on every page).
    """
    if (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and response.get_data()[:15].lower() == b"<!doctype html>"
    ):
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML show:window:top"
    return response
