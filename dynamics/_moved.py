"""The modules that moved into the package's layer folders, under their old names.

``from dynamics.solver import prepare`` keeps working for one release, with a
``DeprecationWarning`` that names the new module (``dynamics.run.solver``). Each old name
is a small stand-in module in ``sys.modules`` that imports the new module when one of its
names is first read; none of the new modules is imported before that. Two old modules,
``dynamics.simulate`` and ``dynamics.sweep``, share their name with a function of the
package; the stand-in does not touch the package's attribute, so ``dynamics.simulate`` and
``dynamics.sweep`` stay the functions.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings

#: old module -> the module it moved to
MOVED = {
    "dynamics.compile": "dynamics.codegen.compile",
    "dynamics.arraycode": "dynamics.codegen.arraycode",
    "dynamics.html": "dynamics.results.html",
    "dynamics.report": "dynamics.results.report",
    "dynamics.interventions": "dynamics.run.interventions",
    "dynamics.solver": "dynamics.run.solver",
    "dynamics.ensemble": "dynamics.run.ensemble",
    "dynamics.simulate": "dynamics.run.front",
    "dynamics.kernel": "dynamics.run.kernel.build",
    "dynamics.kernel_body": "dynamics.run.kernel.body",
    "dynamics.kernel_math": "dynamics.run.kernel.maths",
    "dynamics.checks": "dynamics.analysis.checks",
    "dynamics.history": "dynamics.calibration.history",
    "dynamics.fitting": "dynamics.calibration.fitting",
    "dynamics.posterior": "dynamics.calibration.posterior",
    "dynamics.claims": "dynamics.studies.claims",
    "dynamics.sweep": "dynamics.studies.sweep",
    "dynamics.sensitivity": "dynamics.studies.sensitivity",
    "dynamics.robustness": "dynamics.studies.robustness",
    "dynamics.discovery": "dynamics.studies.discovery",
    "dynamics.counterfactual": "dynamics.studies.counterfactual",
    "dynamics.durability": "dynamics.studies.durability",
    "dynamics.plotting": "dynamics.views.plotting",
    "dynamics.display": "dynamics.views.display",
    "dynamics.figures": "dynamics.views.figures",
    "dynamics.interactive": "dynamics.views.interactive",
    "dynamics.docs": "dynamics.docgen.reference",
    "dynamics.site": "dynamics.docgen.site",
}

#: the modules that became folders of the same name: old module -> where its code now is
FOLDED = {
    "dynamics.results": "dynamics.results.labelled",
    "dynamics.calibration": "dynamics.calibration.calibrate",
    "dynamics.studies": "dynamics.studies.design",
}


def warn(old: str, new: str, name: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{old} moved to {new}; import {name!r} from {new} (the old module "
                  f"name is deprecated and goes in the next release)", DeprecationWarning,
                  stacklevel=stacklevel)


class Moved(types.ModuleType):
    """The stand-in for a module that moved: each name read from it is read from the new
    module, with a deprecation warning."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(old, f"Moved to {new}.")
        self.__moved_to__ = new

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            # tools probe every module for __file__, __path__, ...: no warning, no import
            raise AttributeError(name)
        warn(self.__name__, self.__moved_to__, name)
        return getattr(importlib.import_module(self.__moved_to__), name)

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self.__moved_to__))


def install() -> None:
    """Put a stand-in for each moved module into ``sys.modules`` (once)."""
    for old, new in MOVED.items():
        sys.modules.setdefault(old, Moved(old, new))


def folded_attribute(package: str, name: str):
    """A name the old module ``package`` had and its folder does not re-export: read from
    the module its code moved to, with a deprecation warning (a folder's ``__getattr__``)."""
    if name.startswith("__") and name.endswith("__"):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    target = importlib.import_module(FOLDED[package])
    if not hasattr(target, name):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    warn(package, FOLDED[package], name, stacklevel=4)
    return getattr(target, name)
