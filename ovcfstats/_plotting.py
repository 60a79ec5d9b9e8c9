"""Shared plotting plumbing: matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

from typing import Any


def figure_and_axes(ax: Any = None, figsize: tuple[float, float] = (6.0, 5.0)) -> tuple[Any, Any]:
    """Return ``(figure, axes)``: the caller's ``ax`` and its figure, or a new pair.

    A new figure is created with :class:`matplotlib.figure.Figure` (not ``pyplot``) so that
    drawing in a script or a test never opens a window nor leaks global pyplot state.
    """
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()
