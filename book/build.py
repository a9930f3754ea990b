"""Build the dlcore book into static HTML, offline, with warnings as errors.

    .venv/bin/python -m book.build            # -> book/_build/html/index.html

Steps:

1. JavaScript: MathJax, the ipywidgets HTML manager and RequireJS come from npm, pinned in
   book/package.json and book/package-lock.json. ``npm ci`` runs only when book/node_modules
   is missing or older than the lock file; after that the build needs no network.
2. Staging: the book's source tree is assembled in a folder (default book/_build/src) that
   mirrors the repository: the pages of book/ at the top, ``notebooks/*.ipynb`` (chapters
   00-12 and the explorers), ``exercises/README.md`` (the instructor guide) and
   ``exercises/release/*.ipynb`` (the student notebooks; the solutions stay out). Notebooks
   keep their stored outputs; only nbval's marker comments are removed from the code shown.
3. Sphinx + myst-nb + sphinx-book-theme, ``-W --keep-going``, fresh environment: a broken
   cross-reference, a missing image or a formula MathJax cannot parse fails the build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NODE_MODULES = BOOK / "node_modules"
PAGES = ["*.md", "api/*.md", "_static/*", "_ext/*", "conf.py"]
SKIP_PAGES = {"README.md"}          # book/README.md describes the folder, it is not a page

# (package folder in node_modules, files or folders to copy, destination under _static)
ASSETS = [
    ("mathjax", ["es5/tex-chtml.js", "es5/input/tex/extensions", "es5/output/chtml/fonts/woff-v2",
                 "es5/ui", "es5/a11y", "LICENSE"], "mathjax"),
    ("@jupyter-widgets/html-manager", ["dist/embed-amd.js", "dist/embed.js.LICENSE.txt",
                                       "dist/*.woff2", "dist/*.woff", "dist/*.ttf"], "widgets"),
    ("requirejs", ["require.js"], "widgets"),
]


class BuildError(RuntimeError):
    """The book could not be built; the message says why."""


def ensure_node_modules() -> Path:
    """book/node_modules with the pinned packages, installed with ``npm ci`` if needed."""
    lock = BOOK / "package-lock.json"
    marker = NODE_MODULES / ".package-lock.json"      # written by npm after an install
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return NODE_MODULES
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm not found: install Node.js (apt-get install -y nodejs npm), "
                         "then run: npm ci --prefix book")
    print("installing the book's JavaScript: npm ci --prefix book", flush=True)
    result = subprocess.run([npm, "ci", "--prefix", str(BOOK), "--no-audit", "--no-fund"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"npm ci failed:\n{result.stdout}\n{result.stderr}")
    return NODE_MODULES


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True)
    else:
        shutil.copy2(source, destination)


def vendor_assets(static: Path) -> None:
    """Copy MathJax and the widget JavaScript into the staging ``_static``."""
    for package, patterns, target in ASSETS:
        base = NODE_MODULES / package
        for pattern in patterns:
            matches = sorted(base.glob(pattern))
            if not matches:
                raise BuildError(f"{base / pattern} is missing: run npm ci --prefix book")
            for source in matches:
                relative = source.relative_to(base)
                # keep MathJax's layout below es5/ (it loads its parts relative to itself)
                if relative.parts[0] in {"es5", "dist"}:
                    relative = Path(*relative.parts[1:])
                if relative.name == "LICENSE":
                    relative = Path(f"LICENSE-{package.replace('/', '-').lstrip('@')}")
                _copy(source, static / target / relative)
    notice = ["JavaScript served with this book, copied from npm by book/build.py:", ""]
    for package, _, target in ASSETS:
        meta = json.loads((NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))
        notice.append(f"_static/{target}: {meta['name']} {meta['version']}, "
                      f"license {meta.get('license', 'see the package')}")
    (static / "THIRD-PARTY.txt").write_text("\n".join(notice) + "\n", encoding="utf-8")


def _strip_nbval_markers(notebook: dict) -> dict:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        lines = ("".join(source) if isinstance(source, list) else source).split("\n")
        kept = [line for line in lines if not line.strip().startswith("# NBVAL_")]
        cell["source"] = "\n".join(kept)
    return notebook


def _copy_notebook(source: Path, destination: Path) -> None:
    notebook = json.loads(source.read_text(encoding="utf-8"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(_strip_nbval_markers(notebook), indent=1,
                                      ensure_ascii=False), encoding="utf-8")
    stat = source.stat()
    os.utime(destination, (stat.st_atime, stat.st_mtime))


def stage(stage_dir: Path) -> Path:
    """Assemble the book's source tree in ``stage_dir`` (emptied first)."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    for pattern in PAGES:
        for source in sorted(BOOK.glob(pattern)):
            if source.name in SKIP_PAGES and source.parent == BOOK:
                continue
            if source.is_file() and "__pycache__" not in source.parts:
                _copy(source, stage_dir / source.relative_to(BOOK))
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        _copy_notebook(source, stage_dir / "notebooks" / source.name)
    readme = ROOT / "exercises" / "README.md"
    if readme.exists():
        _copy(readme, stage_dir / "exercises" / "README.md")
    for source in sorted((ROOT / "exercises" / "release").glob("*.ipynb")):
        _copy_notebook(source, stage_dir / "exercises" / "release" / source.name)
    vendor_assets(stage_dir / "_static")
    return stage_dir


def build(out: Path | str | None = None, *, stage_dir: Path | str | None = None,
          quiet: bool = False) -> Path:
    """Build the book; return the HTML folder. Raises BuildError on any warning."""
    out = Path(out) if out else BOOK / "_build" / "html"
    stage_dir = Path(stage_dir) if stage_dir else out.parent / "src"
    doctrees = stage_dir.parent / (stage_dir.name + "-doctrees")
    ensure_node_modules()
    stage(stage_dir)
    env = dict(os.environ, DLCORE_BOOK_MATHJAX=str(NODE_MODULES / "mathjax"),
               PYTHONWARNINGS="ignore::DeprecationWarning")
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html",
               "-d", str(doctrees), str(stage_dir), str(out)]
    if quiet:
        command.insert(3, "-q")
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=quiet, text=True)
    if result.returncode != 0:
        detail = f"\n{result.stdout}\n{result.stderr}" if quiet else ""
        raise BuildError(f"sphinx-build failed (exit {result.returncode}){detail}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m book.build", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None,
                        help="HTML folder (default: book/_build/html)")
    parser.add_argument("--stage", type=Path, default=None,
                        help="staging folder for the source tree (default: next to --out)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    arguments = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        html = build(arguments.out, stage_dir=arguments.stage, quiet=arguments.quiet)
    except BuildError as error:
        print(f"book build failed: {error}", file=sys.stderr)
        return 1
    print(f"book built in {time.perf_counter() - start:.1f} s: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
