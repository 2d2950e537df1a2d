"""The documentation site's sources: its generated pages are what the code gives, its API
reference lists exactly ``dynamics.__all__``, every scenario and every page of the
navigation exists. (CI builds the site itself, in strict mode, after the tests.)"""

from __future__ import annotations

import re
from pathlib import Path

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
