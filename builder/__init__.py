"""onewindow builder: catalog YAML in, checked and compiled matters and plans out.

Pure: no web, no storage; never imports ``runtime``.
"""

from builder.catalog import check_paths, load_catalog, load_matter
from builder.errors import BuilderError, CatalogInvalid, Problem, UnknownMatter
from builder.plan import Plan, make_plan
from builder.spec import Catalog, Centre, Department, Material, MatterSpec, Step

__all__ = [
    "BuilderError",
    "Catalog",
    "CatalogInvalid",
    "Centre",
    "Department",
    "Material",
    "MatterSpec",
    "Plan",
    "Problem",
    "Step",
    "UnknownMatter",
    "check_paths",
    "load_catalog",
    "load_matter",
    "make_plan",
]
