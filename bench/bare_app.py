"""A bare Flask app serving one trivial template: the yardstick the real app is compared with.

gunicorn serves it with the same settings as the real app (`gunicorn bench.bare_app:app`).
"""

import os

from flask import Flask, render_template

app = Flask(__name__, template_folder=os.path.join(os.path.dirname(__file__), "bare_templates"))


@app.get("/")
def index():
    """The trivial page."""
    return render_template("bare.html", title="bare")
