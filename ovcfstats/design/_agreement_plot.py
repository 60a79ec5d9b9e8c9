"""The Bland–Altman plot: differences against means, the bias and the limits with their CIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .agreement import BlandAltmanResult


#: above this many pairs the Bland–Altman plot shows the density of the points (hexagonal bins)
DENSITY_ABOVE = 10_000
#: above this many pairs the dots are one raster layer in SVG and PDF (text and lines stay vector)
RASTER_DOTS_ABOVE = 1_000
#: grey levels of the density (few, light: the lines and their intervals stay visible on it)
DENSITY_LEVELS = 12


def _density(ax: Any, x: Any, y: Any) -> None:
    """Pairs per hexagon (log scale), as one raster layer even in SVG and PDF.

    Hexagons without antialiasing and a dozen grey levels keep the file small (a 300 dpi
    raster of thousands of shaded hexagons otherwise weighs megabytes); the darkest level is
    mid-grey so that the bias, the limits and their shaded intervals read on top of it.
    """
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap

    greys = ListedColormap(colormaps["Greys"](np.linspace(0.12, 0.7, DENSITY_LEVELS)))
    ax.hexbin(x, y, gridsize=90, mincnt=1, bins="log", cmap=greys, linewidths=0,
              antialiased=False, rasterized=True)  # fmt: skip
    ax.text(0.015, 0.985, f"n = {len(x):,} pairs; shade: pairs per hexagon (log)",
            transform=ax.transAxes, ha="left", va="top", fontsize=7, color="0.3",
            bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 1})  # fmt: skip


def plot_bland_altman(
    result: BlandAltmanResult,
    ax: Any = None,
    *,
    exact: bool = True,
    regression: bool = False,
    title: str | None = None,
) -> Any:
    """Difference against mean, with the bias and both limits and their intervals shaded.

    Parameters
    ----------
    result : BlandAltmanResult
    ax : matplotlib Axes, optional
    exact : bool, default True
        Shade the exact intervals of the limits where available (else the approximate ones).
    regression : bool, default False
        Also draw the proportional-bias regression line.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from ovcfstats import bland_altman, plot_bland_altman
    >>> d = pd.DataFrame({"a": [10.0, 12.0, 9.5, 11.0, 13.0], "b": [9.6, 12.5, 9.0, 10.2, 12.1]})
    >>> figure = plot_bland_altman(bland_altman(d, "a", "b"))
    >>> type(figure).__name__
    'Figure'
    """
    from ..present._plotting import figure_and_axes

    fig, ax = figure_and_axes(ax, figsize=(6.0, 4.5))
    s, pairs = result.settings, result.pairs
    if len(pairs) > DENSITY_ABOVE:  # a registry: millions of points as a density, not dots
        _density(ax, pairs["mean"], pairs["difference"])
    else:
        ax.scatter(pairs["mean"], pairs["difference"], s=12, alpha=0.6, color="0.25", lw=0,
                   rasterized=len(pairs) > RASTER_DOTS_ABOVE)  # fmt: skip
    lim = result.table.set_index("statistic")
    x0, x1 = float(pairs["mean"].min()), float(pairs["mean"].max())
    styles = {"bias": ("tab:blue", "Bias"), "loa_lower": ("tab:red", "Lower LoA"),
              "loa_upper": ("tab:red", "Upper LoA")}  # fmt: skip
    spread = abs(float(lim.loc["loa_upper", "estimate"] - lim.loc["loa_lower", "estimate"]))
    # the limits' spread to three significant digits sets the labels' decimals (not 3 s.f. of a
    # bias near 0, "−0.000386", on a ±2 scale)
    digits = max(0, 2 - int(np.floor(np.log10(spread)))) if spread > 0 else 2
    for stat, (color, label) in styles.items():
        est = lim.loc[stat, "estimate"]
        use_exact = exact and not np.isnan(lim.loc[stat, "ci_low_exact"])
        lo, hi = lim.loc[
            stat, ["ci_low_exact", "ci_high_exact"] if use_exact else ["ci_low", "ci_high"]
        ]
        ax.axhspan(lo, hi, color=color, alpha=0.12, lw=0)
        ax.axhline(est, color=color, lw=1.4, ls="-" if stat == "bias" else "--")
        text = f"{label} {round(float(est), digits) + 0.0:.{digits}f}".replace("-", "−")
        ax.annotate(text, xy=(1, est), xycoords=("axes fraction", "data"), va="bottom",
                    xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8, color=color,
                    bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 1})  # fmt: skip
    ax.axhline(0, color="0.6", lw=0.8, ls=":")
    if regression:
        b0, b1 = result.proportional["estimate"]
        ax.plot([x0, x1], [b0 + b1 * x0, b0 + b1 * x1], color="tab:green", lw=1, label="Regression")
    ax.set_xlabel(f"Mean of {s['x']} and {s['y']}")
    ax.set_ylabel(f"Difference ({s['x']} − {s['y']})")
    ax.set_title(title or f"Bland–Altman: {s['x']} vs {s['y']}", fontsize=10)
    return fig
