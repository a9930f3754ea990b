"""Sphinx configuration of the dlcore book.

Do not run sphinx-build on book/ directly: ``python -m book.build`` first assembles the
source tree (these pages, the chapter notebooks, the student notebooks, the JavaScript copied
from npm) in a staging folder, then builds it with warnings as errors.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import dlcore  # noqa: E402  (the version shown in the book is the one being documented)

project = "dlcore"
author = "the dlcore authors"
copyright = "the dlcore authors, MIT License"
release = version = dlcore.__version__
language = "en"

extensions = [
    "myst_nb",                       # Markdown pages and notebooks (includes myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "dlcore_book",                   # _ext/dlcore_book.py: chapter links, exercises, widgets, math
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "node_modules", "notebooks/README.md"]
suppress_warnings = []

# --- notebooks: stored outputs, never executed ---------------------------------------------
nb_execution_mode = "off"
nb_merge_streams = True              # one block per stream, not one per print
nb_output_stderr = "remove"          # kernel and numba chatter does not belong in a book
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# ipywidgets: RequireJS and the HTML manager are served from _static/widgets (copied from npm
# by book/build.py), not from a CDN; they are only loaded on pages with saved widget state.
nb_ipywidgets_js = {
    "widgets/require.js": {},
    "widgets-paths.js": {},
    "widgets/embed-amd.js": {
        "data-jupyter-widgets-cdn": "_static/widgets/",
        "data-jupyter-widgets-cdn-only": "false",
    },
}

# --- math: MathJax 3 from _static/mathjax (copied from npm), checked at build time ----------
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"},
}
dlcore_mathjax_package = os.environ.get("DLCORE_BOOK_MATHJAX", "")  # set by build.py

# --- API reference from docstrings ---------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autosummary_generate = False
add_module_names = False

# --- HTML ---------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "dlcore: deep learning by building it"
html_static_path = ["_static"]
html_css_files = ["dlcore-book.css"]
html_last_updated_fmt = None
html_show_sourcelink = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "navigation_with_keys": False,
}
# Launch buttons (Binder, JupyterHub) need the public address of the repository, which the
# build cannot guess: set DLCORE_BOOK_REPOSITORY=https://github.com/OWNER/dlcore (and
# optionally DLCORE_BOOK_BINDERHUB, DLCORE_BOOK_JUPYTERHUB) when publishing the site.
_repository = os.environ.get("DLCORE_BOOK_REPOSITORY", "")
if _repository:
    html_theme_options.update({
        "repository_url": _repository,
        "repository_branch": os.environ.get("DLCORE_BOOK_BRANCH", "main"),
        "path_to_docs": "",          # the staging tree mirrors the repository's notebooks/
        "use_repository_button": True,
        "launch_buttons": {
            "binderhub_url": os.environ.get("DLCORE_BOOK_BINDERHUB", "https://mybinder.org"),
            "jupyterhub_url": os.environ.get("DLCORE_BOOK_JUPYTERHUB", ""),
            "notebook_interface": "jupyterlab",
        },
    })


# --- known docstring problems -----------------------------------------------------------------
# Three docstrings write absolute values as |...|, which reStructuredText reads as an undefined
# substitution (an error under -W): dlcore/losses.py:112 (binary_crossentropy),
# dlcore/losses.py:132 (mean_absolute_error) and dlcore/metrics.py:66 (_absolute_error).
# Until they are written as ``|...|``, escape exactly these texts, and nothing else.
_ABSOLUTE_VALUES = {"|y_pred - y_true|": r"\|y_pred - y_true\|", "-|x|": r"-\|x\|"}


def _escape_known_absolute_values(app, what, name, obj, options, lines):
    for index, line in enumerate(lines):
        for text, escaped in _ABSOLUTE_VALUES.items():
            if text in line and escaped not in line:
                lines[index] = line = line.replace(text, escaped)


def setup(app):
    app.connect("autodoc-process-docstring", _escape_known_absolute_values)
