"""Sphinx configuration of the ovcfstats site (``make docs``; HTML in docs/_build/html)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))

import ovcfstats  # noqa: E402

project = "ovcfstats"
author = "The ovcfstats authors"
copyright = "2026, The ovcfstats authors"
version = release = ovcfstats.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",
    "sphinx_gallery.gen_gallery",
    "apipages",
]

# the tutorial notebook lives in notebooks/ (where `make notebook` opens it); the site builds a copy
shutil.copy2(ROOT / "notebooks" / "reproduce_paper.ipynb", HERE / "tutorial")

# the gallery's generated notebooks are downloads, not pages
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
templates_path = ["_templates"]

# no network: no intersphinx, no CDN (math is rendered as text by MathJax-free HTML)
intersphinx_mapping: dict = {}
html_math_renderer = None

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
nb_execution_mode = "cache"  # executed at build time, re-run only when a notebook changes
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": False,
    "image_scrapers": ("figscraper",),  # figures made without pyplot, and pyplot's
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_signature": False,
    "write_computation_times": False,  # its page loads tables from a CDN
}

html_theme = "pydata_sphinx_theme"
html_title = f"ovcfstats {release}"
html_static_path = ["_static"]
html_css_files = ["ovcfstats.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "navbar_align": "left",
    "navbar_end": ["search-button", "theme-switcher"],
    "navbar_persistent": [],
    "show_prev_next": True,
    "secondary_sidebar_items": {"reference/api/generated/*": []},  # API pages: full width
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}
