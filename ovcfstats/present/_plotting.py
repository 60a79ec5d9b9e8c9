"""Shared plotting plumbing: matplotlib is imported only when a figure is drawn.

Every figure of the study uses the same colour per indicator (:func:`indicator_color`), and is
saved by :func:`figure_bytes`: PNG at 300 dpi, SVG with its text kept as editable text.
"""

from __future__ import annotations

import io
from typing import Any

#: one colour per indicator in every figure (Okabe–Ito: distinguishable with colour blindness)
INDICATOR_COLORS = {
    "t_score": "#0072B2",
    "hu": "#D55E00",
    "vbq": "#009E73",
    "rcsa": "#CC79A7",
    "fi": "#E69F00",
}
_EXTRA_COLORS = ("#56B4E9", "#F0E442", "#000000", "#999999")

#: print resolution of PNG figures
DPI = 300
#: the largest figure drawn, in inches (3,600 × 4,800 pixels at :data:`DPI`); a figure whose
#: rows would need more is drawn smaller
MAX_FIGSIZE = (12.0, 16.0)
#: resolution of the raster layers of an SVG (a density of 10⁶ points); its text and lines are
#: vector at any zoom
SVG_RASTER_DPI = 150


def indicator_color(name: str, index: int = 0) -> str:
    """The colour of an indicator; others cycle through the remaining Okabe–Ito colours.

    Examples
    --------
    >>> indicator_color("vbq")
    '#009E73'
    """
    return INDICATOR_COLORS.get(name, _EXTRA_COLORS[index % len(_EXTRA_COLORS)])


#: the most items a figure shows legibly: heatmap indicators, ROC curves, forest and Love rows
MAX_ITEMS = {"heatmap": 40, "roc": 12, "rows": 60}
#: heatmaps of more indicators than this are drawn without the ρ written in each cell
MAX_ANNOTATED = 15


class NoFigure(ValueError):
    """A figure that cannot show its data: too many items to be legible, or nothing to draw.

    The message says why and where the numbers are; a report leaves the figure out with this
    message as a note and writes everything else.
    """


def check_items(n: int, limit: int, what: str, where: str, hint: str = "") -> None:
    """Raise :class:`NoFigure` when a figure would show more than ``limit`` ``what``.

    Examples
    --------
    >>> check_items(200, 40, "indicators", "Table 3")
    Traceback (most recent call last):
    ovcfstats.present._plotting.NoFigure: 200 indicators are more than ... (at most 40); ...
    """
    if n > limit:
        raise NoFigure(
            f"{n} {what} are more than a legible figure shows (at most {limit}); the numbers "
            f"are in {where}.{' ' + hint if hint else ''}"
        )


def figure_and_axes(ax: Any = None, figsize: tuple[float, float] = (6.0, 5.0)) -> tuple[Any, Any]:
    """Return ``(figure, axes)``: the caller's ``ax`` and its figure, or a new pair.

    A new figure is created with :class:`matplotlib.figure.Figure` (not ``pyplot``) so that
    drawing in a script or a test never opens a window nor leaks global pyplot state. Its
    size is at most :data:`MAX_FIGSIZE`.

    Examples
    --------
    >>> fig, ax = figure_and_axes(figsize=(221.0, 201.0))
    >>> [float(v) for v in fig.get_size_inches()]
    [12.0, 16.0]
    """
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    figsize = (min(figsize[0], MAX_FIGSIZE[0]), min(figsize[1], MAX_FIGSIZE[1]))
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def figure_bytes(fig: Any, fmt: str, dpi: int | None = None, *, laid_out: bool = False) -> bytes:
    """PNG (``dpi``, default :data:`DPI`) or SVG bytes of ``fig``.

    SVG keeps text as ``<text>`` elements (``svg.fonttype = "none"``) so that a journal's
    editor can change a label; its raster layers (``rasterized=True``) are at
    :data:`SVG_RASTER_DPI` unless ``dpi`` is given. No date and fixed ids, so that the same
    figure gives the same file. ``laid_out=True`` keeps the layout of the last rendering
    rather than computing it again (the second format of an unchanged figure).
    """
    import matplotlib

    if dpi is None:
        dpi = SVG_RASTER_DPI if fmt == "svg" else DPI
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None} if fmt == "png" else None
    engine = fig.get_layout_engine()
    if laid_out and engine is not None:
        fig.set_layout_engine("none")
    try:
        with matplotlib.rc_context({"svg.hashsalt": "ovcfstats", "svg.fonttype": "none"}):
            fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    finally:
        if laid_out and engine is not None:
            fig.set_layout_engine(engine)
    return buffer.getvalue()
