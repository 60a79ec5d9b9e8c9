"""A sphinx-gallery image scraper for the figures ovcfstats returns.

The ``.plot()`` methods and ``plot_*`` functions return a :class:`matplotlib.figure.Figure`
made without pyplot (so that a server or a report never holds global figure state), which
sphinx-gallery's own matplotlib scraper cannot see: this one looks for such figures among the
example's variables, and picks up pyplot's figures as the usual scraper does.
"""

from __future__ import annotations

SHOWN = "_gallery_shown"  # set on a figure once its image is on the page


class _FigureScraper:
    def __repr__(self) -> str:  # a stable text, so that Sphinx's environment stays cached
        return "ovcfstats figure scraper"

    def __call__(self, block, block_vars, gallery_conf):
        from matplotlib.figure import Figure
        from sphinx_gallery.scrapers import figure_rst, matplotlib_scraper

        found = [
            v
            for v in block_vars["example_globals"].values()
            if isinstance(v, Figure) and not getattr(v, SHOWN, False)
        ]
        paths = []
        for figure in found:
            setattr(figure, SHOWN, True)
            path = next(block_vars["image_path_iterator"])
            figure.savefig(path, dpi=110, bbox_inches="tight")
            paths.append(path)
        own = figure_rst(paths, gallery_conf["src_dir"]) if paths else ""
        return own + matplotlib_scraper(block, block_vars, gallery_conf)


def _get_sg_image_scraper():
    return _FigureScraper()
