"""Sphinx extension for the dlcore book.

- ``{chapter}`7|batch norm``` links to the course chapter on a topic: the chapter whose title
  or file name contains one of the words after the bar, else the chapter with that number. A
  chapter that does not exist yet becomes plain text ("a later chapter"), so the glossary does
  not break while chapters are being written.
- ``{exercise-list}`` lists the student notebooks of ``exercises/release`` with what each one
  practises, a link to its page, to its chapter and a download link.
- Widget views: a static page has no kernel. A view whose model is in the notebook's saved
  widget state is drawn by the ipywidgets HTML manager from that state, and gets a caption
  saying so; a view without saved state would be an empty box, so it becomes a short note.
- Math: every formula is parsed by MathJax (in Node, from the same npm package the pages load)
  before the pages are written; a TeX error is a build warning with the page and line, so
  ``-W`` fails the build on bad math.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
HERE = Path(__file__).resolve().parent

STATIC_CAPTION = (
    "Widget shown as it was saved: a web page has no Python behind it, so moving its "
    "controls here recomputes nothing. Open the notebook in JupyterLab and run the cell to "
    "use it."
)
NO_STATE_NOTE = (
    "Interactive widget. It needs a running Python kernel, and this notebook was saved "
    "without the widget's state, so there is nothing to draw here. Open the notebook in "
    "JupyterLab (or on Binder) and run the cell above to use it."
)


# --- chapters -------------------------------------------------------------------------------

def _notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, without the leading #."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return path.stem
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for line in text.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return path.stem


def chapters(srcdir: str | Path) -> list[tuple[int, str, str]]:
    """``(number, docname, title)`` of every chapter notebook ``notebooks/NN_*.ipynb``."""
    found = []
    for path in sorted(Path(srcdir, "notebooks").glob("[0-9][0-9]_*.ipynb")):
        found.append((int(path.name[:2]), f"notebooks/{path.stem}", _notebook_title(path)))
    return found


def find_chapter(srcdir: str | Path, spec: str) -> tuple[str, str] | None:
    """The ``(docname, title)`` of the chapter that ``spec`` (``"7|batch norm|normaliz"``)
    names, or None when no such chapter exists yet."""
    parts = [part.strip() for part in spec.split("|") if part.strip()]
    number = int(parts[0]) if parts and parts[0].isdigit() else None
    words = [part.lower() for part in parts if not part.isdigit()]
    known = chapters(srcdir)
    matching = [c for c in known
                if any(w in c[2].lower() or w in c[1].lower().replace("_", " ") for w in words)]
    if matching:
        preferred = [c for c in matching if c[0] == number]
        chosen = (preferred or matching)[0]
        return chosen[1], chosen[2]
    by_number = [c for c in known if c[0] == number]
    if by_number and not words:
        return by_number[0][1], by_number[0][2]
    return None


def chapter_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    found = find_chapter(env.srcdir, text)
    if found is None:
        logger.info("chapter %r is not written yet: plain text in %s", text, env.docname)
        return [nodes.emphasis(rawtext, "a later chapter (in preparation)")], []
    docname, _title = found
    ref = addnodes.pending_xref(rawtext, refdomain="std", reftype="doc",
                                reftarget="/" + docname, refexplicit=False,
                                refdoc=env.docname, refwarn=True)
    ref += nodes.inline(rawtext, docname, classes=["xref", "std", "std-doc"])
    return [ref], []


# --- exercises --------------------------------------------------------------------------------

def _first_paragraph(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else source
            paragraphs = [p for p in text.split("\n\n") if p.strip() and not p.startswith("#")]
            if paragraphs:
                return " ".join(paragraphs[0].split())
    return ""


class ExerciseList(SphinxDirective):
    """A list of the student notebooks with what each practises.

    Content lines ``NN: what it practises`` give the description of exercise NN; an exercise
    without a line gets the first paragraph of its notebook.
    """

    has_content = True
    option_spec = {"folder": directives.unchanged}

    def run(self):
        folder = self.options.get("folder", "exercises/release")
        described = {}
        for line in self.content:
            number, sep, text = line.partition(":")
            if sep and number.strip().isdigit():
                described[int(number)] = text.strip()
        items = nodes.bullet_list(classes=["dlcore-exercises"])
        notebooks = sorted(Path(self.env.srcdir, folder).glob("[0-9][0-9]_*.ipynb"))
        if not notebooks:
            logger.warning("no exercise notebooks in %s", folder, location=self.get_location())
        for path in notebooks:
            number = int(path.name[:2])
            docname = f"{folder}/{path.stem}"
            title = _notebook_title(path)
            para = nodes.paragraph()
            link = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                         reftarget="/" + docname, refexplicit=True,
                                         refdoc=self.env.docname, refwarn=True)
            link += nodes.strong("", title)
            para += link
            item = nodes.list_item("", para)
            text = described.get(number) or _first_paragraph(path)
            item += nodes.paragraph("", text)
            detail = nodes.paragraph()
            chapter = find_chapter(self.env.srcdir, str(number))
            if chapter is not None:
                detail += nodes.Text("Chapter: ")
                ref = addnodes.pending_xref("", refdomain="std", reftype="doc",
                                            reftarget="/" + chapter[0], refexplicit=False,
                                            refdoc=self.env.docname, refwarn=True)
                ref += nodes.inline("", chapter[0])
                detail += ref
                detail += nodes.Text(". ")
            detail += nodes.Text("Student notebook: ")
            download = addnodes.download_reference(
                "", "", refdomain="", reftype="download", refexplicit=True,
                reftarget=f"/{folder}/{path.name}", refdoc=self.env.docname)
            download += nodes.literal("", path.name)
            detail += download
            item += detail
            items += item
        return [items]


# --- widgets ----------------------------------------------------------------------------------

def _saved_models(path: Path) -> set[str]:
    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return set()
    state = metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return set(state)


def _note(text: str, classes: list[str]) -> nodes.container:
    box = nodes.container(classes=classes)
    box += nodes.paragraph("", text)
    return box


def mark_widget_views(app, doctree):
    env = app.env
    source = Path(env.doc2path(env.docname))
    views = [node for node in doctree.findall(nodes.raw)
             if node.get("format") == "html" and f'type="{WIDGET_VIEW}"' in node.astext()]
    if not views:
        return
    saved = _saved_models(source) if source.suffix == ".ipynb" else set()
    for node in views:
        match = re.search(r'"model_id"\s*:\s*"([^"]+)"', node.astext())
        if match and match[1] in saved:
            node.parent.insert(node.parent.index(node) + 1,
                               _note(STATIC_CAPTION, ["dlcore-widget-caption"]))
        else:
            node.replace_self(_note(NO_STATE_NOTE, ["dlcore-widget-note"]))


# --- math -------------------------------------------------------------------------------------

def as_mathjax_sees_it(node) -> tuple[str, bool]:
    """The TeX that the HTML page hands to MathJax for ``node`` (Sphinx wraps display math)."""
    text = node.astext()
    if isinstance(node, nodes.math):
        return text, False
    if node.get("no-wrap", node.get("nowrap", False)) or "amsmath" in node.get("classes", []):
        return text, True
    parts = [part for part in text.split("\n\n") if part.strip()]
    body = [r"\begin{split}" + p + r"\end{split}" if r"\\" in p else p for p in parts]
    joined = r"\\".join(body)
    if len(parts) > 1:
        joined = r"\begin{align}\begin{aligned}" + joined + r"\end{aligned}\end{align}"
    return joined, True


def collect_math(app, doctree):
    found = []
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        tex, display = as_mathjax_sees_it(node)
        found.append({"tex": tex, "display": display, "line": node.line})
    app.env.dlcore_math = getattr(app.env, "dlcore_math", {})
    app.env.dlcore_math[app.env.docname] = found


def purge_math(app, env, docname):
    getattr(env, "dlcore_math", {}).pop(docname, None)


def merge_math(app, env, docnames, other):
    env.dlcore_math = getattr(env, "dlcore_math", {})
    for docname in docnames:
        env.dlcore_math[docname] = getattr(other, "dlcore_math", {}).get(docname, [])


def check_math(app, env):
    mathjax = app.config.dlcore_mathjax_package
    if not mathjax:
        return
    node = shutil.which("node")
    if node is None:
        logger.warning("node not found: cannot check the math with MathJax "
                       "(install Node.js, or set dlcore_mathjax_package = '')",
                       type="dlcore", subtype="math")
        return
    formulas = [(docname, item) for docname, items in sorted(getattr(env, "dlcore_math", {})
                                                              .items()) for item in items]
    if not formulas:
        return
    payload = json.dumps([{"tex": item["tex"], "display": item["display"]}
                          for _, item in formulas])
    result = subprocess.run([node, str(HERE / "check_math.js"), mathjax], input=payload,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        logger.warning("MathJax check failed to run: %s", result.stderr.strip()[-2000:],
                       type="dlcore", subtype="math")
        return
    for index, message in json.loads(result.stdout):
        docname, item = formulas[index]
        tex = item["tex"] if len(item["tex"]) < 120 else item["tex"][:117] + "..."
        logger.warning("bad math (%s): %s", message, tex, location=(docname, item["line"]),
                       type="dlcore", subtype="math")
    logger.info("MathJax parsed %d formulas", len(formulas))


def setup(app):
    app.add_config_value("dlcore_mathjax_package", "", "env", types=frozenset({str}))
    app.add_role("chapter", chapter_role)
    app.add_directive("exercise-list", ExerciseList)
    app.connect("doctree-read", mark_widget_views)
    app.connect("doctree-read", collect_math)
    app.connect("env-purge-doc", purge_math)
    app.connect("env-merge-info", merge_math)
    app.connect("env-check-consistency", check_math)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
