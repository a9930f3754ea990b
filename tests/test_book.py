"""The book: it builds offline with warnings as errors, and its pages hold what they should.

The whole book is built once per pytest run into a temporary folder (``book_html``); the
browser tests in test_browser.py reuse that build. A second, tiny Sphinx project checks that
the build really fails on bad math, a missing image and a broken cross-reference.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
API_MODULES = ["layers", "models", "losses", "metrics", "optimizers", "callbacks", "functional",
               "datasets", "preprocessing", "utils", "model_selection", "plot", "widgets"]
GLOSSARY_TERMS = ["deep learning", "model", "data", "loss function", "optimizer",
                  "backpropagation", "hyperparameter", "batch normalization", "GPU", "CPU",
                  "node", "module", "vanishing and exploding gradients", "dropout", "LSTM",
                  "CNN", "RNN"]
BOOK_PAGES = ["index", "preface", "frameworks", "glossary", "exercises", "exercises/README",
              "trends", "api/index"]

_build_result: dict[str, object] = {}


def built_book(tmp_path_factory) -> Path:
    """The book's HTML folder, built once per pytest run (shared with test_browser.py)."""
    pytest.importorskip("sphinx", reason="Sphinx not installed: pip install -e '.[dev]'")
    pytest.importorskip("myst_nb", reason="myst-nb not installed: pip install -e '.[dev]'")
    pytest.importorskip("sphinx_book_theme", reason="sphinx-book-theme not installed")
    if "html" not in _build_result:
        from book.build import BuildError, build

        folder = tmp_path_factory.mktemp("book")
        try:
            _build_result["html"] = build(folder / "html", quiet=True)
        except BuildError as error:
            _build_result["html"] = error
    result = _build_result["html"]
    if isinstance(result, Exception):
        pytest.fail(f"the book does not build: {result}", pytrace=False)
    return result


@pytest.fixture(scope="session")
def book_html(tmp_path_factory):
    return built_book(tmp_path_factory)


# --- reading the HTML --------------------------------------------------------------------------

class Page(HTMLParser):
    """What the checks need from one HTML page: ids, links, images, scripts, h1, text."""

    def __init__(self, path: Path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts: list[dict] = []
        self.classes: list[str] = []
        self.h1 = ""
        self._in_h1 = False
        self._headerlink = 0
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.classes.extend((attrs.get("class") or "").split())
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if "headerlink" in (attrs.get("class") or ""):
                self._headerlink += 1
        elif tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        elif tag == "script":
            self.scripts.append(attrs)
        elif tag == "h1" and not self.h1:
            self._in_h1 = True

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False
        elif tag == "a" and self._headerlink:
            self._headerlink -= 1

    def handle_data(self, data):
        if self._in_h1 and not self._headerlink:
            self.h1 += data

    @property
    def title(self) -> str:
        return " ".join(self.h1.replace("#", "").split())

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


_pages: dict[Path, Page] = {}


def parsed(path: Path) -> Page:
    """``Page(path)``, parsed once."""
    if path not in _pages:
        _pages[path] = Page(path)
    return _pages[path]


def local_target(page: Path, href: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link points to; None for external links."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("mailto:"):
        return None
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    return target, parts.fragment


def heading(notebook: Path) -> str:
    """The first Markdown heading of a notebook, as the page shows it (no Markdown marks)."""
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for line in source.splitlines():
                if line.startswith("#"):
                    text = re.sub(r"[`*_]", "", line.lstrip("#"))
                    return " ".join(text.split())
    raise AssertionError(f"{notebook.name} has no heading")


def image_outputs(notebook: Path) -> int:
    """How many stored outputs the page shows as images (a widget view wins over an image)."""
    count = 0
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(k.startswith("image/") for k in data) and WIDGET_VIEW not in data:
                count += 1
    return count


def has_math(notebook: Path) -> bool:
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if re.search(r"\$[^$\s][^$]*\$", source):
                return True
    return False


# --- the checks ---------------------------------------------------------------------------------

def test_there_are_chapters_to_build():
    assert CHAPTERS, "no chapter notebooks in notebooks/"
    assert (NOTEBOOKS / "explorers.ipynb").exists()


@pytest.mark.parametrize("name", BOOK_PAGES)
def test_each_written_page_exists_with_a_title(book_html, name):
    page = Page(book_html / f"{name}.html")
    assert page.title, f"{name}.html has no <h1>"


def staged(book_html: Path, notebook: Path) -> Path:
    """The copy of ``notebook`` the book was built from (the repository's may have changed
    since, while the tests ran)."""
    return book_html.parent / "src" / notebook.relative_to(ROOT)


@pytest.mark.parametrize("notebook", [*CHAPTERS, NOTEBOOKS / "explorers.ipynb"],
                         ids=lambda path: path.stem)
def test_each_chapter_page_has_its_title_images_and_math(book_html, notebook):
    path = book_html / "notebooks" / f"{notebook.stem}.html"
    assert path.exists(), f"no page for {notebook.name}"
    notebook = staged(book_html, notebook)
    page = Page(path)
    assert page.title == heading(notebook)
    shown = [src for src in page.images if not src.startswith(("data:", "http:", "https:"))]
    assert len(shown) >= image_outputs(notebook), "a stored figure is missing from the page"
    for src in shown:
        target, _ = local_target(path, src)
        assert target.is_file() and target.stat().st_size > 0, f"missing image {src}"
    text = page.text()
    if has_math(notebook):
        assert re.search(r'class="math notranslate nohighlight">\\\(', text), "no inline math"
    # math goes to MathJax as \( \) and \[ \] input, never left as dollars
    assert "$$" not in re.sub(r"<pre.*?</pre>|<script.*?</script>", "", text, flags=re.S)


def test_the_index_lists_every_chapter_in_order(book_html):
    page = Page(book_html / "index.html")
    linked = [href.split("#")[0] for href in page.links]
    expected = [f"notebooks/{path.stem}.html" for path in CHAPTERS]
    positions = [linked.index(href) for href in expected]
    assert positions == sorted(positions)
    assert "notebooks/explorers.html" in linked


def test_every_internal_link_and_image_resolves(book_html):
    problems = []
    for path in book_html.rglob("*.html"):
        if path.parent.name in {"_modules", "_sources"}:
            continue
        page = parsed(path)
        for href in page.links + page.images:
            found = local_target(path, href)
            if found is None or href.startswith("data:"):
                continue
            target, fragment = found
            if not target.exists():
                problems.append(f"{path.relative_to(book_html)}: {href}")
            elif fragment and target.suffix == ".html" and fragment not in parsed(target).ids:
                problems.append(f"{path.relative_to(book_html)}: {href} (no such anchor)")
    assert not problems, "\n".join(problems[:30])


def test_math_and_widgets_are_served_locally_not_from_a_cdn(book_html):
    static = book_html / "_static"
    assert (static / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert list((static / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (static / "widgets" / "embed-amd.js").stat().st_size > 100_000
    assert (static / "widgets" / "require.js").exists()
    pages_with_math = 0
    for path in book_html.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for cdn in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com"):
            assert cdn not in text, f"{path.relative_to(book_html)} loads from {cdn}"
        if 'class="math notranslate' in text:
            pages_with_math += 1
            scripts = parsed(path).scripts
            assert any("_static/mathjax/tex-chtml.js" in s.get("src", "") for s in scripts)
    assert pages_with_math >= 5


def test_widget_views_show_saved_state_or_a_note(book_html):
    for notebook in [*CHAPTERS, NOTEBOOKS / "explorers.ipynb"]:
        data = json.loads(staged(book_html, notebook).read_text(encoding="utf-8"))
        saved = set(data["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}))
        views = [output["data"][WIDGET_VIEW]["model_id"] for cell in data["cells"]
                 for output in cell.get("outputs", []) if WIDGET_VIEW in output.get("data", {})]
        page = Page(book_html / "notebooks" / f"{notebook.stem}.html")
        text = page.text()
        without_state = [view for view in views if view not in saved]
        assert page.classes.count("dlcore-widget-note") == len(without_state), notebook.name
        for view in without_state:
            assert view not in text, f"{notebook.name}: empty widget box for {view}"
        with_state = [view for view in views if view in saved]
        assert page.classes.count("dlcore-widget-caption") == len(with_state), notebook.name
        if with_state:
            assert any(s.get("type") == WIDGET_STATE for s in page.scripts)
            assert any("_static/widgets/embed-amd.js" in s.get("src", "") for s in page.scripts)


def test_api_reference_documents_every_module(book_html):
    models = Page(book_html / "api" / "models.html")
    for name in ("dlcore.models.Sequential", "dlcore.models.Sequential.fit",
                 "dlcore.models.Sequential.compile", "dlcore.models.load_model"):
        assert name in models.ids, f"{name} is not in the API reference"
    assert "dlcore.layers.Dense" in Page(book_html / "api" / "layers.html").ids
    assert "dlcore.optimizers.Adam" in Page(book_html / "api" / "optimizers.html").ids
    for module in API_MODULES:
        page = Page(book_html / "api" / f"{module}.html")
        documented = [i for i in page.ids if i.startswith(f"dlcore.{module}.")]
        assert documented, f"dlcore.{module}: nothing documented"


def test_glossary_defines_the_core_terms_and_links_to_their_chapters(book_html):
    path = book_html / "glossary.html"
    page = Page(path)
    text = page.text()
    for term in GLOSSARY_TERMS:
        wanted = "term-" + re.sub(r"[^A-Za-z0-9]+", "-", term).strip("-")
        anchor = next((i for i in page.ids if i.lower() == wanted.lower()), None)
        assert anchor, f"no glossary entry for {term!r}"
        entry = text.split(f'id="{anchor}"', 1)[1].split("<dt", 1)[0]
        hrefs = re.findall(r'href="([^"]+)"', entry)
        assert any(h.startswith(("notebooks/", "exercises/", "api/", "frameworks"))
                   for h in hrefs), f"glossary entry {term!r} links nowhere"
        for href in hrefs:
            target, fragment = local_target(path, href) or (None, None)
            if target is not None:
                assert target.exists(), f"{term!r}: broken link {href}"
                if fragment:
                    assert fragment in parsed(target).ids, f"{term!r}: broken anchor {href}"
    chapter_links = {h.split("#")[0] for h in page.links if h.startswith("notebooks/")}
    assert len(chapter_links) >= min(8, len(CHAPTERS))


def test_exercise_index_links_every_student_notebook(book_html):
    page = Page(book_html / "exercises.html")
    for notebook in sorted((ROOT / "exercises" / "release").glob("*.ipynb")):
        assert f"exercises/release/{notebook.stem}.html" in page.links, notebook.name
        assert any(h.endswith(f"/{notebook.name}") and "_downloads" in h for h in page.links)
        assert (book_html / "exercises" / "release" / f"{notebook.stem}.html").exists()
    assert not (book_html / "exercises" / "source").exists(), "solutions must stay out"


# --- warnings are errors: a tiny project with one mistake of each kind --------------------------

def test_bad_math_missing_images_and_broken_references_fail_the_build(tmp_path):
    pytest.importorskip("myst_parser", reason="myst-parser not installed")
    node_modules = ROOT / "book" / "node_modules" / "mathjax"
    if shutil.which("node") is None or not node_modules.exists():
        pytest.skip("Node.js or book/node_modules missing: run python -m book.build first")
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        "extensions = ['myst_parser', 'dlcore_book']\n"
        "myst_enable_extensions = ['dollarmath', 'amsmath']\n"
        f"dlcore_mathjax_package = {str(node_modules)!r}\n")
    (source / "index.md").write_text(
        "# Broken\n\nGood math $a^2 + b^2$ and bad math $\\frac{a}{b$ and $\\nosuchmacro x$.\n\n"
        "![a figure](missing.png)\n\nSee {doc}`no-such-page`.\n")
    result = _sphinx(source, tmp_path)
    assert result.returncode != 0
    log = result.stderr
    assert "bad math (Missing close brace)" in log
    assert "Undefined control sequence \\nosuchmacro" in log
    assert "good math" not in log.lower()
    assert "missing.png" in log
    assert "no-such-page" in log


def _sphinx(source: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(source), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300)
