"""The report at registry scale: each figure rendered once per format, a Bland–Altman density
that stays small in vector files, the excluded rows of a registry cut in the HTML."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ovcfstats.report.document as report_module
from ovcfstats import Report, bland_altman, roc_auc
from ovcfstats._results import Result, empty_excluded
from ovcfstats.design._agreement_plot import DENSITY_ABOVE, RASTER_DOTS_ABOVE
from ovcfstats.present._layouts import LISTING_ROWS


@pytest.fixture
def report() -> Report:
    rng = np.random.default_rng(0)
    case = np.repeat([1, 0], 40)
    data = pd.DataFrame({"case": case, "vbq": rng.normal(3 + 0.4 * case, 0.5)})
    return Report("x").add(roc_auc(data, "vbq"), key="roc")


def test_save_renders_each_figure_once_per_format(report, tmp_path, monkeypatch):
    calls = []
    real = report_module.figure_bytes

    def counted(fig, fmt, *args, **kwargs):
        calls.append(fmt)
        return real(fig, fmt, *args, **kwargs)

    monkeypatch.setattr(report_module, "figure_bytes", counted)
    saved = report.save(tmp_path)
    assert sorted(calls) == ["png", "svg"]  # figure files, HTML (SVG) and Word (PNG) share them
    html = saved["html"].read_text(encoding="utf-8")
    svg = (tmp_path / "figures" / "roc.svg").read_text(encoding="utf-8")
    assert svg[svg.index("<svg") :] in html


def test_a_changed_figure_is_rendered_again(report):
    first = report.figure_bytes("roc", "svg")
    assert report.figure_bytes("roc", "svg") is first
    report.figures()["roc"].axes[0].set_title("Changed title")
    again = report.figure_bytes("roc", "svg")
    assert again != first and b"Changed title" in again
    assert report.figure_bytes("roc", "svg") is again
    png = report.figure_bytes("roc", "png")
    report.items[0].figure = None  # drawn again from the result
    assert report.figure_bytes("roc", "png") is not png


def test_figure_bytes_of_an_unknown_key(report):
    with pytest.raises(KeyError, match=r"No figure 'nope'.*roc"):
        report.figure_bytes("nope", "png")


def _pairs(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    x = rng.normal(100, 10, n)
    return pd.DataFrame({"patient_id": np.arange(n), "a": x, "b": x + rng.normal(0, 1, n)})


def test_a_registry_bland_altman_is_one_small_raster_layer_in_svg():
    from ovcfstats.present._plotting import figure_bytes

    fig = bland_altman(_pairs(200_000), "a", "b").plot()
    (density,) = fig.axes[0].collections[:1]
    assert density.get_rasterized() and not density.get_antialiased().any()
    assert len(np.unique(density.get_facecolors(), axis=0)) <= 12
    svg = figure_bytes(fig, "svg")
    assert svg.count(b"<image") == 1 and b"<text" in svg  # the labels stay text
    assert len(svg) < 300_000 and len(figure_bytes(fig, "png")) < 300_000
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("n = 200,000 pairs") for t in texts)


def test_many_dots_are_rasterized_in_vector_files():
    for n, raster in ((RASTER_DOTS_ABOVE, False), (RASTER_DOTS_ABOVE + 1, True)):
        fig = bland_altman(_pairs(n), "a", "b").plot()
        assert fig.axes[0].collections[0].get_rasterized() == raster
    assert RASTER_DOTS_ABOVE < DENSITY_ABOVE


class _Listing(Result):
    """A result with many excluded rows."""


def test_a_registrys_excluded_rows_are_cut_in_the_html(tmp_path):
    n = LISTING_ROWS + 5
    excluded = empty_excluded()
    excluded = pd.DataFrame(
        {c: [f"{c}{i}" for i in range(n)] for c in excluded.columns}, columns=excluded.columns
    )
    result = _Listing(table=pd.DataFrame({"x": [1.0]}), excluded=excluded)
    html = Report().add(result, key="listing").to_html()
    assert f"The first {LISTING_ROWS:,} of {n:,} rows; every row is in tables.xlsx." in html
    first, last = excluded.iloc[0, 0], excluded.iloc[-1, 0]
    assert f">{first}<" in html and f">{last}<" not in html
    few = _Listing(table=pd.DataFrame({"x": [1.0]}), excluded=excluded.head(3))
    assert "Excluded rows (3 rows)</summary>" in Report().add(few).to_html()
