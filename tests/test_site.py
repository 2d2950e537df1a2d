"""The documentation site's sources: its generated pages are what the code gives, its API
reference lists exactly ``dynamics.__all__``, every scenario and every page of the
navigation exists. (CI builds the site itself, in strict mode, after the tests.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dynamics
from dynamics.docgen.site import mkdocs_config, site_pages
from dynamics.scenarios import list_scenarios

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_the_generated_pages_and_the_navigation_are_what_the_code_gives():
    for page, text in site_pages().items():
        assert (DOCS / page).read_text() == text, f"docs/{page}: run python -m dynamics.docgen.site"
    assert (ROOT / "mkdocs.yml").read_text() == mkdocs_config(ROOT)


def test_the_api_reference_lists_exactly_the_public_names():
    text = (DOCS / "reference" / "api.md").read_text()
    listed = re.findall(r"^::: dynamics\.(\S+)$", text, flags=re.M)
    assert listed == list(dynamics.__all__)


def test_every_scenario_has_a_page_and_every_page_of_the_navigation_exists():
    for name in list_scenarios():
        assert (DOCS / "scenarios" / f"{name}.md").is_file(), name
    config = (ROOT / "mkdocs.yml").read_text()
    pages = re.findall(r"^\s+- (?:[^:\n]+: )?(\S+\.(?:md|ipynb))$", config, flags=re.M)
    assert pages and all((DOCS / page).exists() for page in pages), [
        page for page in pages if not (DOCS / page).exists()]
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks <= set(pages)


def test_the_readme_says_how_to_build_the_site_and_ci_builds_it_strictly():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -e '.[docs]' && mkdocs build --strict" in readme
    assert "mkdocs build --strict" in ci
    tests = ci.index('step "tests, slow tier"')
    assert ci.index('step "documentation site" site') > tests  # after the tests, not in them


def _documented(doc: str, section: str) -> set[str]:
    """The names a numpydoc section documents (``name : type`` or ``a, b : type``)."""
    lines = doc.splitlines()
    for k in range(len(lines) - 1):
        if lines[k].strip() == section and set(lines[k + 1].strip()) == {"-"}:
            names: set[str] = set()
            for line in lines[k + 2:]:
                if line.strip() and set(line.strip()) == {"-"}:
                    break  # the next section's underline
                if line and not line.startswith(" "):
                    names.update(n.strip().lstrip("*") for n in line.split(":")[0].split(","))
            return names
    return set()


def test_the_public_api_has_numpydoc_docstrings_documenting_every_parameter():
    """Every public function and class of the package (``__all__`` of every module but
    the kernel's numba code; errors aside) documents each of its parameters in a numpydoc
    ``Parameters`` (or, for a result, ``Attributes``) section, an enum its members, so
    that the API reference shows them."""
    import enum
    import importlib
    import inspect
    import pkgutil

    modules = [importlib.import_module(info.name) for info in
               pkgutil.walk_packages(dynamics.__path__, "dynamics.")
               if not info.name.startswith("dynamics._") and "kernel.body" not in info.name
               and "kernel.maths" not in info.name and info.name != "dynamics.__main__"]
    public = [(name, getattr(dynamics, name)) for name in dynamics.__all__]
    public += [(f"{module.__name__}.{name}", getattr(module, name))
               for module in modules for name in getattr(module, "__all__", ())
               if getattr(getattr(module, name), "__module__", None) == module.__name__]
    for name, value in public:
        if not (inspect.isfunction(value) or inspect.isclass(value)):
            continue
        if inspect.isclass(value) and issubclass(value, Exception):
            continue
        doc = inspect.getdoc(value) or ""
        if inspect.isclass(value) and issubclass(value, enum.Enum):
            assert _documented(doc, "Attributes") == {m.name for m in value}, name
            continue
        wanted = {p.name for p in inspect.signature(value).parameters.values()
                  if p.name != "self" and not p.name.startswith("_")}
        assert wanted <= _documented(doc, "Parameters") | _documented(doc, "Attributes"), (
            name, sorted(wanted - _documented(doc, "Parameters")))


def test_every_formula_of_the_docs_renders_as_mathml():
    """The site's maths is converted to MathML when it is built (dynamics/docgen/mathml.py,
    a MkDocs hook): every formula of the Markdown pages converts, displayed and inline,
    and the TeX is kept for copying. (.ci/run checks the built pages themselves.)"""
    pytest.importorskip("latex2mathml")
    import html
    import re

    from dynamics.docgen.mathml import to_mathml

    root = Path(__file__).resolve().parent.parent / "docs"
    count = 0
    for page in sorted(root.rglob("*.md")):
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # not code
        for display, tex in ([("[", t) for t in re.findall(r"\$\$(.+?)\$\$", text, re.S)]
                             + [("(", t) for t in re.findall(r"(?<![$\\])\$([^$\n]+?)\$",
                                                            re.sub(r"\$\$.+?\$\$", "", text,
                                                                   flags=re.S))]):
            closing = "]" if display == "[" else ")"
            element = "div" if display == "[" else "span"
            marked = (f'<{element} class="arithmatex">\\{display}{html.escape(tex)}'
                      f"\\{closing}</{element}>")
            rendered = to_mathml(marked)
            assert "<math " in rendered and "\\" + display not in rendered, (page, tex)
            assert f'alttext="{html.escape(tex)}"' in rendered
            count += 1
    assert count > 50  # the model page alone has dozens
    with pytest.raises(ValueError, match="cannot render the formula"):
        to_mathml("<span class=\"arithmatex\">\\(\\left( x\\)</span>")


def test_a_tutorial_is_executed_once_and_again_only_when_it_changes(tmp_path, monkeypatch):
    """The docs build's notebook hook (dynamics/docgen/notebooks.py): the first build
    executes a notebook into the cache, the next finds it there, and a changed notebook
    (or package, or DYNAMICS_QUICK) has a new key; a failing cell names the notebook."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    from dynamics.docgen.notebooks import digest, executed

    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(book, path)
    cache = tmp_path / "cache"
    first = executed(path, cache)
    outputs = nbformat.read(first, as_version=4).cells[0].outputs
    assert outputs[0]["text"] == "42\n"
    stamp = first.stat().st_mtime_ns
    assert executed(path, cache) == first and first.stat().st_mtime_ns == stamp
    key = digest(path)
    monkeypatch.setenv("DYNAMICS_QUICK", "1")
    assert digest(path) != key
    book.cells[0].source = "raise ValueError('broken tutorial')"
    nbformat.write(book, path)
    with pytest.raises(RuntimeError, match="tiny.ipynb: a cell raised ValueError: broken tutorial"):
        executed(path, cache)
    assert list(cache.glob("*/tiny.ipynb")) == [first]  # a failure writes nothing
    assert first.name == "tiny.ipynb"  # the name the site offers for download


def test_a_hung_kernel_is_replaced_once_then_named(tmp_path, monkeypatch):
    """A kernel that drops an execute request leaves the client waiting (ipykernel#1554):
    a cell past the timeout is run again in a fresh kernel, and a second hang fails the
    build naming the notebook."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbclient.exceptions import CellTimeoutError

    from dynamics.docgen.notebooks import ATTEMPTS, executed

    calls = []
    original = nbclient.NotebookClient.execute

    def hangs_first(self, **options):
        calls.append(1)
        if len(calls) == 1:
            raise CellTimeoutError("Cell execution timed out")
        return original(self, **options)

    monkeypatch.setattr(nbclient.NotebookClient, "execute", hangs_first)
    path = tmp_path / "flaky.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    done = executed(path, tmp_path / "cache")
    assert len(calls) == 2 and nbformat.read(done, as_version=4).cells[0].outputs

    def always(self, **options):
        raise CellTimeoutError("Cell execution timed out")

    monkeypatch.setattr(nbclient.NotebookClient, "execute", always)
    path.write_text(path.read_text().replace("1 + 1", "2 + 2"))
    with pytest.raises(RuntimeError, match=f"flaky.ipynb: .* each of {ATTEMPTS} fresh"):
        executed(path, tmp_path / "cache")


def test_sphinx_roles_in_docstrings_become_cross_references():
    """The API reference showed ':class:`Solver`' literally; the roles hook makes each a
    reference that mkdocs-autorefs links where the target is documented (the name in
    code otherwise), with Sphinx's ``~`` and ``title <target>`` forms."""
    from dynamics.docgen.roles import references

    page = ("<p>Returns :class:<code>~dynamics.Model</code> or "
            ":func:<code>the front door &lt;dynamics.run.front.simulate&gt;</code>; "
            ":mod:<code>dynamics.studies</code>.</p><code>list of :class:`Equilibrium`</code>")
    out = references(page)
    assert ('<autoref identifier="dynamics.Model" optional><code>Model</code></autoref>'
            in out)
    assert ('<autoref identifier="dynamics.run.front.simulate" optional><code>the front '
            'door</code></autoref>' in out)
    assert '<autoref identifier="dynamics.studies" optional>' in out
    assert "<code>list of Equilibrium</code>" in out
    assert ":class:" not in out and ":func:" not in out
    pytest.importorskip("latex2mathml")
    from dynamics.docgen.hooks import on_page_content

    both = on_page_content('<p><span class="arithmatex">\\(k_i\\)</span> and '
                           ':class:<code>~dynamics.Model</code></p>', page=None)
    assert "<math " in both and '<autoref identifier="dynamics.Model"' in both
