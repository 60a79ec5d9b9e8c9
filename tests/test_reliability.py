"""ICC: psych::ICC references, invariances, missing cells, bad input, the study's table."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import ovcfstats
from ovcfstats import DataError, DegenerateDataWarning, icc, load_sample, reliability

REF = Path(__file__).parent / "reference"
SF = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)
COLUMNS = ["icc", "F", "df1", "df2", "p", "ci_low", "ci_high"]


def long(y, targets=None, raters=None):
    """An n × k matrix as long data (target, rater, rating)."""
    y = np.asarray(y, dtype=float)
    n, k = y.shape
    targets = [f"T{i}" for i in range(n)] if targets is None else list(targets)
    raters = [f"R{j}" for j in range(k)] if raters is None else list(raters)
    return pd.DataFrame(
        {
            "target": np.repeat(targets, k),
            "rater": np.tile(raters, n),
            "rating": y.ravel(),
        }
    )


def run(y, **kwargs):
    return icc(long(y), targets="target", raters="rater", ratings="rating", **kwargs)


def quiet(y, **kwargs):
    """``run`` for property tests: degenerate random draws may warn (tested separately)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        return run(y, **kwargs)


def reference(name):
    ref = pd.read_csv(REF / name)
    return ref.rename(columns={"ICC": "icc", "lower": "ci_low", "upper": "ci_high"})


def assert_matches(table, ref, tol=1e-10):
    assert list(table["type"]) == list(ref["type"])
    for col in COLUMNS:
        np.testing.assert_allclose(
            table[col].to_numpy(float), ref[col].to_numpy(float), rtol=tol, atol=0, err_msg=col
        )


# -- references ------------------------------------------------------------------------------


def test_shrout_fleiss_all_six_forms_match_psych():
    assert_matches(run(SF).table, reference("psych_icc_sf.csv"))


def test_shrout_fleiss_values_quoted_in_the_issue():
    t = run(SF).table.set_index("type")
    assert t.loc["ICC1", "icc"] == pytest.approx(0.165741768405476, abs=1e-12)
    assert t.loc["ICC1", "ci_low"] == pytest.approx(-0.132932324874751, abs=1e-12)
    assert t.loc["ICC1", "ci_high"] == pytest.approx(0.722560062328121, abs=1e-12)
    assert t.loc["ICC2", "icc"] == pytest.approx(0.289763779527559, abs=1e-12)
    assert t.loc["ICC2", "ci_low"] == pytest.approx(0.018786513374712, abs=1e-12)
    assert t.loc["ICC2", "ci_high"] == pytest.approx(0.761084369648953, abs=1e-12)
    assert t.loc["ICC3", "icc"] == pytest.approx(0.714840714840715, abs=1e-12)
    assert t.loc["ICC3", "F"] == pytest.approx(11.0272479564033, abs=1e-10)
    assert (t.loc["ICC3", "df1"], t.loc["ICC3", "df2"]) == (5, 15)
    assert t.loc["ICC3", "p"] == pytest.approx(0.000134566516484337, rel=1e-10)
    assert t.loc["ICC3k", "icc"] == pytest.approx(0.909315542377069, abs=1e-12)
    assert t.loc["ICC3k", "ci_low"] == pytest.approx(0.675674713816305, abs=1e-12)
    assert t.loc["ICC3k", "ci_high"] == pytest.approx(0.985891678169062, abs=1e-12)


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_seeded_30_by_3_matches_psych(alpha):
    data = pd.read_csv(REF / "psych_icc_random_data.csv")
    res = icc(data, targets="target", raters="rater", ratings="rating", alpha=alpha)
    ref = reference("psych_icc_random.csv")
    assert_matches(res.table, ref[np.isclose(ref["alpha"], alpha)].reset_index(drop=True))
    assert res.settings["n_targets"] == 30 and res.settings["n_raters"] == 3


def test_mean_squares_table_is_the_two_way_anova():
    res = run(SF)
    a = res.anova.set_index("source")
    assert list(a["df"]) == [5, 3, 15, 18]
    # Shrout & Fleiss (1979) Table 2: BMS 11.24, JMS 32.49, EMS 1.02, WMS 6.26
    np.testing.assert_allclose(a["ms"], [11.241667, 32.486111, 1.019444, 6.263889], atol=1e-6)
    assert a.loc["within targets", "ss"] == pytest.approx(a.loc[["raters", "residual"], "ss"].sum())


def test_agrees_with_pingouin_on_random_data():
    import pingouin as pg

    rng = np.random.default_rng(1)
    y = rng.normal(size=(40, 1)) + rng.normal(size=(40, 5)) + rng.normal(size=5)
    ours = run(y).table
    with warnings.catch_warnings():  # pingouin's own deprecation warnings under new pandas
        warnings.simplefilter("ignore")
        theirs = pg.intraclass_corr(long(y), targets="target", raters="rater", ratings="rating")
    for col, pcol in (("icc", "ICC"), ("F", "F"), ("p", "pval")):
        np.testing.assert_allclose(ours[col], theirs[pcol], rtol=1e-10)


def test_result_renders_with_conventions():
    res = run(SF)
    text = res.summary()
    assert "ICC(A,1)" in text and "Satterthwaite" in text and "irr::icc" in text
    assert "<table" in res._repr_html_()
    assert res.form("ICC3")["icc"] == pytest.approx(0.714840714840715)
    assert set(res.tables()) == {"table", "anova"}


# -- properties ------------------------------------------------------------------------------

matrices = st.integers(2, 8).flatmap(
    lambda n: st.integers(2, 5).flatmap(
        lambda k: arrays(
            float, (n, k), elements=st.floats(-50, 50, allow_nan=False, allow_subnormal=False)
        )
    )
)


def informative(y):
    """Targets differ and raters disagree somewhat (no zero mean square)."""
    y = np.asarray(y)
    resid = y - y.mean(1, keepdims=True) - y.mean(0) + y.mean()
    scale = max(1.0, float(np.abs(y).max()))
    return np.ptp(y.mean(1)) > 1e-3 * scale and np.abs(resid).max() > 1e-3 * scale


@settings(max_examples=40, deadline=None)
@given(matrices, st.randoms(use_true_random=False))
def test_invariant_to_rater_and_target_order(y, rnd):
    assume(informative(y))
    base = quiet(y).table
    n, k = y.shape
    rows, cols = list(range(n)), list(range(k))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    data = long(y[np.ix_(rows, cols)], [f"T{i}" for i in rows], [f"R{j}" for j in cols])
    data = data.sample(frac=1, random_state=rnd.randrange(1000))  # row order of the long table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        other = icc(data, targets="target", raters="rater", ratings="rating").table
    pd.testing.assert_frame_equal(base, other, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(matrices, st.floats(-100, 100, allow_nan=False), st.integers(0, 4))
def test_icc3_ignores_a_rater_shift_and_icc2_drops_when_it_moves_away(y, shift, j):
    assume(informative(y))
    j = j % y.shape[1]
    base = quiet(y).table.set_index("type")
    others = np.delete(y.mean(0), j).mean()
    direction = np.sign(y[:, j].mean() - others) or 1.0
    moved = y.copy()
    moved[:, j] += direction * abs(shift)
    new = quiet(moved).table.set_index("type")
    for form in ("ICC3", "ICC3k"):
        assert new.loc[form, "icc"] == pytest.approx(base.loc[form, "icc"], abs=1e-8)
    if base.loc["ICC2", "icc"] > 0 and abs(shift) > 1e-3:
        assert new.loc["ICC2", "icc"] < base.loc["ICC2", "icc"]
        assert new.loc["ICC2k", "icc"] < base.loc["ICC2k", "icc"]


@st.composite
def reliable(draw):
    """Targets that differ much more than raters disagree: true score + rater bias + noise."""
    n, k = draw(st.integers(3, 10)), draw(st.integers(2, 5))
    finite = {"allow_nan": False, "allow_infinity": False, "allow_subnormal": False}
    truth = draw(arrays(float, (n, 1), elements=st.floats(-50, 50, **finite)))
    bias = draw(arrays(float, (1, k), elements=st.floats(-5, 5, **finite)))
    noise = draw(arrays(float, (n, k), elements=st.floats(-2, 2, **finite)))
    return truth + bias + noise


@settings(max_examples=40, deadline=None)
@given(reliable(), st.floats(0.01, 0.5))
def test_intervals_contain_the_estimate_and_bounds_are_ordered(y, alpha):
    assume(informative(y))
    t = quiet(y, alpha=alpha).table
    # Negative estimates (raters disagree more than targets differ) make the Spearman–Brown
    # average forms and the Satterthwaite df degenerate, in psych as here: not an invariant.
    assume((t["icc"] > 0.1).all())
    assert (t["ci_low"] <= t["icc"] + 1e-12).all()
    assert (t["icc"] <= t["ci_high"] + 1e-12).all()
    assert (t["icc"] <= 1 + 1e-12).all() and t["p"].between(0, 1).all()


@settings(max_examples=30, deadline=None)
@given(matrices, st.floats(0.1, 10), st.floats(-100, 100))
def test_linear_rescaling_leaves_every_icc_unchanged(y, a, b):
    assume(informative(y))
    base, scaled = quiet(y).table, quiet(a * y + b).table
    np.testing.assert_allclose(scaled["icc"], base["icc"], rtol=1e-7, atol=1e-9)


# -- missing cells -------------------------------------------------------------------------------


def test_incomplete_target_raises_by_default_naming_it():
    data = long(SF).query("not (target == 'T2' and rater == 'R1')")
    with pytest.raises(DataError, match=r"T2.*nan_policy='omit'"):
        icc(data, targets="target", raters="rater", ratings="rating")


def test_omit_drops_incomplete_targets_listwise_and_lists_them():
    data = long(SF)
    data.loc[(data["target"] == "T2") & (data["rater"] != "R0"), "rating"] = np.nan  # one left
    data = data.query("not (target == 'T4' and rater == 'R3')")  # no row at all
    res = icc(data, targets="target", raters="rater", ratings="rating", nan_policy="omit")
    reasons = dict(zip(res.excluded["id"], res.excluded["reason"], strict=True))
    assert reasons == {
        "T2": "one rating only, 3 of 4 missing (R1, R2, R3)",
        "T4": "incomplete ratings: 3 of 4 (missing R3)",
    }
    assert set(res.excluded["variable"]) == {"rating"}
    complete = run(np.delete(SF, [2, 4], axis=0)).table
    pd.testing.assert_frame_equal(res.table, complete)
    assert res.settings["n_targets"] == 4
    assert any("Excluded: 1 (one rating only" in line for line in res.notes())


def test_omit_with_too_few_complete_targets_fails():
    data = long(SF[:3]).query("not (target == 'T0' and rater == 'R0')")
    data = data.query("not (target == 'T1' and rater == 'R1')")
    with pytest.raises(DataError, match=r"1 target\(s\) with a complete set"):
        icc(data, targets="target", raters="rater", ratings="rating", nan_policy="omit")


# -- bad input -----------------------------------------------------------------------------------


def test_one_rater_fails():
    with pytest.raises(DataError, match="only one rater"):
        run(SF[:, :1])


def test_one_target_fails():
    with pytest.raises(DataError, match="at least 2 targets"):
        run(SF[:1])


def test_duplicate_cells_fail_naming_the_targets():
    data = pd.concat([long(SF), long(SF).iloc[[5]]])
    with pytest.raises(DataError, match=r"duplicate \(target, rater\) cells \(target: T1\)"):
        icc(data, targets="target", raters="rater", ratings="rating")


def test_non_numeric_ratings_fail_naming_the_targets():
    data = long(SF).astype({"rating": object})
    data.loc[3, "rating"] = "n/a"
    with pytest.raises(DataError, match=r"non-numeric values \('n/a'\).*target: T0"):
        icc(data, targets="target", raters="rater", ratings="rating")


def test_missing_labels_columns_and_options_fail():
    data = long(SF)
    with pytest.raises(DataError, match="'score' not found"):
        icc(data, targets="target", raters="rater", ratings="score")
    with pytest.raises(ValueError, match="nan_policy"):
        icc(data, targets="target", raters="rater", ratings="rating", nan_policy="drop")
    with pytest.raises(ValueError, match="alpha"):
        icc(data, targets="target", raters="rater", ratings="rating", alpha=1.5)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        icc(SF, targets="target", raters="rater", ratings="rating")
    blank = data.astype({"rater": object})
    blank.loc[2, "rater"] = None
    with pytest.raises(DataError, match=r"missing labels in column 'rater' \(row 3\)"):
        icc(blank, targets="target", raters="rater", ratings="rating")


def test_perfect_agreement_warns_instead_of_failing():
    y = np.array([[1.0, 1.0], [2.0, 2.0], [5.0, 5.0]])
    with pytest.warns(DegenerateDataWarning, match="residual mean square is 0"):
        res = run(y)
    assert res.form("ICC2")["icc"] == 1.0
    assert res.warnings and "residual" in res.warnings[0]


def test_icc2k_lower_limit_is_unbounded_where_psych_prints_nonsense():
    y = np.array([[-3.0, -1.0], [2.0, 0.0]])
    with pytest.warns(DegenerateDataWarning, match="unbounded"):
        t = run(y, alpha=0.5).table.set_index("type")
    assert t.loc["ICC2", "ci_low"] < -1  # below −1/(k − 1)
    assert t.loc["ICC2k", "ci_low"] == -np.inf  # psych: 5.387 (above the estimate 0.714)


def test_identical_ratings_warn_and_give_nan():
    with pytest.warns(DegenerateDataWarning, match="all ratings are identical"):
        res = run(np.ones((3, 2)))
    assert res.table["icc"].isna().all()


# -- the study's reliability table ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_measurements():
    return load_sample()[1]


def roi_matrix(m, measure, kind):
    """The n × k matrix built by hand with pandas, for comparison."""
    rows = m[(m["measure"] == measure) & m["rater"].notna() & (m["rater"] != "")]
    roi = ["patient_id", "level", "muscle", "side"]
    rows = rows.fillna({"muscle": "", "side": ""})
    if kind == "inter":
        wide = rows[rows["session"] == 1].pivot_table(
            index=roi, columns="rater", values="value", aggfunc="first"
        )
    else:
        rows = rows[rows["session"].isin([1, 2])]
        wide = rows.pivot_table(
            index=[*roi, "rater"], columns="session", values="value", aggfunc="first"
        )
    return wide.dropna().to_numpy()


@pytest.mark.parametrize("kind", ["inter", "intra"])
def test_sample_table_matches_icc_on_the_hand_built_matrix(sample_measurements, kind):
    m = sample_measurements
    res = reliability(m, kind=kind)
    t = res.table.set_index("measure")
    assert list(t.index) == [
        "hu",
        "si_vertebra",
        "si_csf",
        "csa_muscle",
        "csa_disc",
        "fat_fraction",
    ]
    assert (t["form"] == "ICC2").all() and (t["kind"] == kind).all()
    assert (t["n_raters"] == 2).all()
    for measure in ("hu", "fat_fraction"):
        y = roi_matrix(m, measure, kind)
        direct = run(y).table.set_index("type").loc["ICC2"]
        assert t.loc[measure, "n_targets"] == len(y)
        for col in COLUMNS:
            assert t.loc[measure, col] == pytest.approx(direct[col], rel=1e-10), col
    assert (t["icc"] > 0.8).all()  # the paper's claim holds on the synthetic sample
    assert len(res.details) == 6 * 6 and set(res.details["type"]) == set(
        ovcfstats.raters.FORM_NAMES
    )


def test_intra_uses_only_the_re_read_rois(sample_measurements):
    m = sample_measurements
    res = reliability(m, measures=["hu"], kind="intra")
    repeats = m[(m["measure"] == "hu") & (m["session"] == 2)]
    assert res.table.loc[0, "n_targets"] == len(repeats)
    assert res.excluded.empty


def test_missing_readings_are_excluded_and_listed(sample_measurements):
    m = sample_measurements
    first = m[(m["measure"] == "hu") & (m["rater"] == "R2")].index[0]
    pid, level = m.loc[first, ["patient_id", "level"]]
    blank = m.index[(m["measure"] == "csa_disc") & (m["rater"] == "R1")][:2]
    changed = m.drop(index=first).astype({"value": float})
    changed.loc[blank, "value"] = np.nan
    res = reliability(changed, measures=["hu", "csa_disc"])
    ex = res.excluded
    hu = ex[ex["variable"] == "hu"]
    assert list(hu["id"]) == [pid]
    assert hu["reason"].iloc[0] == f"{level}: one rating only, 1 of 2 missing (R2)"
    assert (ex["variable"] == "csa_disc").sum() == 2
    t = res.table.set_index("measure")
    assert t.loc["hu", "n_excluded"] == 1 and t.loc["csa_disc", "n_excluded"] == 2
    assert t.loc["hu", "n_targets"] == reliability(m, measures=["hu"]).table.loc[0, "n_targets"] - 1
    assert any("csa_disc with an incomplete set" in line for line in res.notes())


def test_intra_missing_first_session_is_listed_with_muscle_and_rater(sample_measurements):
    m = sample_measurements
    second = m[(m["measure"] == "fat_fraction") & (m["session"] == 2)].iloc[0]
    drop = m.index[
        (m["patient_id"] == second["patient_id"])
        & (m["measure"] == "fat_fraction")
        & (m["level"] == second["level"])
        & (m["muscle"] == second["muscle"])
        & (m["side"] == second["side"])
        & (m["rater"] == second["rater"])
        & (m["session"] == 1)
    ]
    res = reliability(m.drop(index=drop), measures=["fat_fraction"], kind="intra")
    roi = f"{second['level']} {second['muscle']} {second['side']} (rater {second['rater']})"
    assert res.excluded["reason"].tolist() == [
        f"{roi}: one rating only, 1 of 2 missing (session 1)"
    ]


def test_other_forms_and_alpha(sample_measurements):
    res = reliability(sample_measurements, measures=["hu"], form="ICC3k", alpha=0.1)
    detail = res.details.set_index("type").loc["ICC3k"]
    assert res.table.loc[0, "icc"] == detail["icc"]
    assert res.table.loc[0, "description"].startswith("ICC(C,k)")
    assert "Form reported: ICC3k" in res.summary()


def test_reliability_bad_input(sample_measurements):
    m = sample_measurements
    with pytest.raises(ValueError, match="kind"):
        reliability(m, kind="both")
    with pytest.raises(ValueError, match="measures"):
        reliability(m, measures=["bmd"])
    with pytest.raises(ValueError, match="`unit`"):
        reliability(m, unit="vertebra")
    with pytest.raises(DataError, match="no readings by a named rater for measure 't_score'"):
        reliability(m, measures=["t_score"])
    with pytest.raises(DataError, match="'session' not found"):
        reliability(m.drop(columns="session"))


@pytest.mark.parametrize("alpha", [np.float32(0.05), np.float64(0.05)])
def test_alpha_accepts_numpy_scalars(alpha):
    assert run(SF, alpha=alpha).settings["alpha"] == pytest.approx(0.05)


def test_alpha_refuses_bools():
    with pytest.raises(ValueError, match="alpha"):
        run(SF, alpha=True)


# -- degrading instead of aborting ---------------------------------------------------------------


def skipped_run(m, **kwargs):
    with pytest.warns(ovcfstats.SmallSampleWarning, match="ICC skipped") as record:
        res = reliability(m, **kwargs)
    return res, [str(w.message) for w in record]


def assert_skipped(res, measure, reason):
    assert measure not in set(res.table["measure"])
    row = res.skipped.set_index("measure").loc[measure]
    assert reason in row["reason"]
    ex = res.excluded[res.excluded["variable"] == measure]
    assert ex["id"].tolist() == ["(all targets)"] and reason in ex["reason"].iloc[0]
    assert any(f"{measure}: " in w and reason in w for w in res.warnings)
    assert any(reason in line for line in res.notes())


def test_one_rater_skips_inter_rater_icc_and_keeps_the_other_measures(sample_measurements):
    m = sample_measurements
    one = m[~((m["measure"] == "hu") & (m["rater"] == "R2"))]
    res, _ = skipped_run(one, measures=["hu", "csa_disc"])
    assert_skipped(res, "hu", "one rater only (R1)")
    assert res.table["measure"].tolist() == ["csa_disc"]
    assert "skipped" in res.tables()


def test_one_rater_in_the_whole_study_gives_an_empty_table(sample_measurements):
    m = sample_measurements
    res, messages = skipped_run(m[m["rater"] != "R2"])
    columns = ovcfstats.raters.raters.TABLE_COLUMNS
    assert res.table.empty and list(res.table.columns) == list(columns)
    assert len(res.skipped) == 6 and len(messages) == 6
    assert res.summary()  # still renders


def test_no_repeat_sessions_skip_intra_rater_icc(sample_measurements):
    m = sample_measurements
    res, _ = skipped_run(m[m["session"] == 1], measures=["hu", "csa_disc"], kind="intra")
    assert_skipped(res, "hu", "no repeat readings (session 2)")
    assert res.table.empty


def test_a_measure_without_readings_is_skipped(sample_measurements):
    m = sample_measurements
    res, _ = skipped_run(m[m["measure"] != "fat_fraction"])
    assert_skipped(res, "fat_fraction", "no readings by a named rater")
    assert len(res.table) == 5


@pytest.mark.parametrize("n_complete", [0, 1])
def test_a_measure_with_too_few_targets_is_skipped_with_its_reason(sample_measurements, n_complete):
    m = sample_measurements
    si = m[(m["measure"] == "si_csf") & (m["session"] == 1)]
    keep_pids = si["patient_id"].unique()[:n_complete]
    blank = si.index[(si["rater"] == "R2") & ~si["patient_id"].isin(keep_pids)]
    res, _ = skipped_run(
        m.assign(value=m["value"].mask(m.index.isin(blank))), measures=["si_csf", "hu"]
    )
    assert_skipped(res, "si_csf", f"{n_complete} target(s) with a complete set of 2 ratings")
    assert res.table["measure"].tolist() == ["hu"]


# -- degenerate input: exact zero and round-off give the same answer ------------------------------


def test_residual_mean_square_exactly_zero_or_1e_36_give_the_same_result():
    from ovcfstats.raters._icc import compute_ms, mean_squares

    y = np.array([[1.0, 3.0], [2.0, 4.0], [5.0, 7.0]])  # rater 2 = rater 1 + 2: MSE = 0
    base = mean_squares(y)
    assert base["mse"] < 1e-30  # float arithmetic leaves round-off, not 0
    exact = {**base, "sse": np.float64(0.0), "mse": np.float64(0.0)}
    exact["msw"] = np.float64(base["ssc"] / 3)
    tiny = dict(exact)
    tiny["sse"] = np.float64(1e-36 * 2)
    tiny["mse"] = np.float64(1e-36)
    tiny["msw"] = np.float64((exact["ssc"] + tiny["sse"]) / 3)
    results = []
    for ms in (exact, tiny):
        notes = []
        with pytest.warns(DegenerateDataWarning, match="residual mean square is 0"):
            _, table, v = compute_ms(ms, 0.05, notes)
        results.append((table, v, notes))
    pd.testing.assert_frame_equal(results[0][0], results[1][0], check_exact=True)
    assert results[0][1:] == results[1][1:]
    t = results[0][0].set_index("type")
    # ICC3 = 1 with both limits 1 (not NaN); ICC2 < 1 (a constant rater shift) with finite limits
    assert (t.loc[["ICC3", "ICC3k"], ["icc", "ci_low", "ci_high"]].to_numpy() == 1).all()
    assert 0 < t.loc["ICC2", "ci_low"] < t.loc["ICC2", "icc"] < t.loc["ICC2", "ci_high"] <= 1
    assert np.isfinite(t[["icc", "ci_low", "ci_high"]].to_numpy()).all()


def test_round_off_agreement_is_treated_as_perfect_agreement():
    exact = np.array([[0.3, 0.3], [1.0, 1.0], [2.0, 2.0]])
    rounded = np.array([[0.1 + 0.2, 0.3], [1.0, 1.0], [2.0, 2.0]])  # 0.30000000000000004
    out = []
    for y in (exact, rounded):
        with pytest.warns(DegenerateDataWarning, match="residual mean square is 0") as rec:
            res = run(y)
        out.append((res.table, [str(w.message) for w in rec]))
    pd.testing.assert_frame_equal(out[0][0], out[1][0], check_exact=False, rtol=1e-12)
    assert out[0][1] == out[1][1]
    assert (out[0][0]["ci_low"].notna()).all()


def test_small_but_real_residuals_are_not_treated_as_zero():
    y = np.array([[1.0, 1.0 + 1e-6], [2.0, 2.0], [5.0, 5.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(y)
    assert res.form("ICC3")["icc"] < 1


# -- unit of analysis: ROI or patient ------------------------------------------------------------


def patient_matrix(m, measure, kind):
    """Per-patient means of the complete ROI rows, built by hand with pandas."""
    rows = m[(m["measure"] == measure) & m["rater"].notna() & (m["rater"] != "")]
    rows = rows.fillna({"muscle": "", "side": ""})
    roi = ["patient_id", "level", "muscle", "side"]
    if kind == "inter":
        wide = rows[rows["session"] == 1].pivot_table(
            index=roi, columns="rater", values="value", aggfunc="first"
        )
        return wide.dropna().groupby("patient_id").mean().to_numpy()
    rows = rows[rows["session"].isin([1, 2])]
    wide = rows.pivot_table(
        index=[*roi, "rater"], columns="session", values="value", aggfunc="first"
    )
    return wide.dropna().groupby(["patient_id", "rater"]).mean().to_numpy()


@pytest.mark.parametrize("kind", ["inter", "intra"])
def test_per_patient_reliability_is_the_icc_of_patient_means(sample_measurements, kind):
    m = sample_measurements
    res = reliability(m, measures=["csa_muscle", "hu"], kind=kind, unit="patient")
    t = res.table.set_index("measure")
    assert (t["unit"] == "patient").all()
    for measure in ("csa_muscle", "hu"):
        y = patient_matrix(m, measure, kind)
        direct = run(y).table.set_index("type").loc["ICC2"]
        assert t.loc[measure, "n_targets"] == len(y)
        for col in COLUMNS:
            assert t.loc[measure, col] == pytest.approx(direct[col], rel=1e-10), col
    if kind == "inter":
        assert t.loc["csa_muscle", "n_targets"] == m["patient_id"].nunique()
        assert t.loc["csa_muscle", "df1"] == m["patient_id"].nunique() - 1
        assert t.loc["csa_muscle", "n_rois"] == 7487
    assert any("Unit of analysis 'patient'" in line for line in res.notes())


def test_both_units_give_two_rows_per_measure_roi_first(sample_measurements):
    res = reliability(sample_measurements, measures=["fat_fraction", "hu"], unit="both")
    t = res.table
    assert t[["measure", "unit"]].values.tolist() == [
        ["fat_fraction", "roi"],
        ["fat_fraction", "patient"],
        ["hu", "roi"],
        ["hu", "patient"],
    ]
    roi = t.iloc[0]
    assert roi["n_targets"] == roi["n_rois"] == 7488 and roi["df1"] == 7487
    assert t.iloc[1]["n_targets"] == 312 and t.iloc[1]["n_rois"] == 7488
    assert "pseudo-replication" in res.summary()
    assert set(res.details["unit"]) == {"roi", "patient"}
    only_roi = reliability(sample_measurements, measures=["hu"]).table.iloc[0]
    for col in COLUMNS:
        assert t.iloc[2][col] == only_roi[col]


def test_the_degenerate_answer_is_the_limit_of_near_perfect_agreement():
    from ovcfstats.raters._icc import compute_ms, mean_squares

    y = np.array([[1.0, 3.0], [2.0, 4.0], [5.0, 7.0], [3.0, 5.5]])
    base = mean_squares(y)
    out = []
    for mse in (0.0, 1e-9 * base["msr"]):  # snapped to 0 / a real, tiny residual
        df_e = (base["n"] - 1) * (base["k"] - 1)
        ms = {**base, "sse": np.float64(mse * df_e), "mse": np.float64(mse)}
        ms["msw"] = np.float64((base["ssc"] + ms["sse"]) / (base["n"] * (base["k"] - 1)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateDataWarning)
            table, v = compute_ms(ms, 0.05, [])[1:]
        out.append((table.set_index("type")[["icc", "ci_low", "ci_high"]], v))
    assert out[1][1] == pytest.approx(out[0][1], rel=1e-6)  # Satterthwaite's v -> k - 1
    np.testing.assert_allclose(out[1][0].to_numpy(), out[0][0].to_numpy(), rtol=1e-6)


# -- the matrices built on integer codes equal the pandas pivot on labels -------------------------


def _messy_readings(draw_ids, values, blanks, kind_rows):
    """Readings of hu (no ROI) and csa_muscle (muscle × side) by 2–3 raters, 1–2 sessions."""
    rows = []
    for (pid, level, muscle, side, rater, session), value, blank in zip(
        kind_rows, values, blanks, strict=False
    ):
        rows.append(
            (draw_ids[pid], level, muscle, side, rater, session, np.nan if blank else value)
        )
    m = pd.DataFrame(
        rows, columns=["patient_id", "level", "muscle", "side", "rater", "session", "value"]
    )
    m["measure"] = np.where(m["muscle"] == "", "hu", "csa_muscle")
    disc = m["level"].map({"L1": "L1-2", "L2": "L2-3"})
    m["level"] = m["level"].where(m["muscle"] == "", disc)  # muscles are read at disc levels
    return m


@st.composite
def messy_tables(draw):
    ids = draw(
        st.lists(
            st.sampled_from(["P1", "p 2", "10", "2", "Pa", "ß-7"]),
            min_size=3,
            max_size=6,
            unique=True,
        )
    )
    cells = st.tuples(
        st.integers(0, len(ids) - 1),
        st.sampled_from(["L1", "L2"]),
        st.sampled_from(["", "PM", "ES"]),
        st.sampled_from(["L", "R"]),
        st.sampled_from(["R1", "r2", " R3 "]),
        st.sampled_from([1, 1, 2]),
    )
    keys = draw(st.lists(cells, min_size=4, max_size=60))
    keys = list(dict.fromkeys((p, lv, mu, sd if mu else "", r, s) for p, lv, mu, sd, r, s in keys))
    values = draw(st.lists(st.floats(1, 100), min_size=len(keys), max_size=len(keys)))
    blanks = draw(st.lists(st.booleans(), min_size=len(keys), max_size=len(keys)))
    return _messy_readings(ids, values, [b and i % 3 == 0 for i, b in enumerate(blanks)], keys)


def _clean(m):
    return m.assign(rater=m["rater"].str.strip().str.upper())


@settings(max_examples=60, deadline=None)
@given(
    m=messy_tables(),
    kind=st.sampled_from(["inter", "intra"]),
    unit=st.sampled_from(ovcfstats.raters.raters.UNITS),
)
def test_codes_give_the_pivot_matrices_on_messy_input(m, kind, unit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = reliability(m, measures=["hu", "csa_muscle"], kind=kind, unit=unit)
    clean = _clean(m)
    for row in res.table.itertuples():
        build = roi_matrix if row.unit == "roi" else patient_matrix
        y = build(clean, row.measure, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            direct = run(y).table.set_index("type").loc["ICC2"]
        assert row.n_targets == len(y)
        for col in COLUMNS:
            assert getattr(row, col) == pytest.approx(direct[col], rel=1e-12, nan_ok=True), col
    dropped = res.excluded[res.excluded["id"] != "(all targets)"]
    for measure, n in dropped.groupby("variable").size().items():
        assert res.table.set_index(["measure", "unit"])["n_excluded"].loc[measure].eq(n).all()


def test_codes_order_targets_and_excluded_ids_as_sorted_labels():
    # text IDs sort as text ("10" < "2"), blanks are excluded with their ROI, in ID order
    m = pd.DataFrame(
        {
            "patient_id": ["2", "2", "10", "10", "P3", "P3", "P4", "P4"],
            "level": ["L1"] * 8,
            "rater": ["R1", " r2", "R1", "R2", "R1", "R2", "R1", "R2"],
            "session": 1,
            "value": [1.0, 2.0, np.nan, 3.0, 5.0, 5.5, 7.0, 9.0],
        }
    ).assign(measure="hu", muscle="", side="")
    extra = m.iloc[[1]].assign(patient_id="1", value=np.nan)
    res = reliability(pd.concat([extra, m], ignore_index=True), measures=["hu"])
    assert res.excluded["id"].tolist() == ["1", "10"]
    assert res.excluded["reason"].tolist() == [
        "L1: incomplete ratings: 0 of 2 (missing R1, R2)",  # its only reading is blank
        "L1: one rating only, 1 of 2 missing (R1)",
    ]
    y = np.array([[1.0, 2.0], [5.0, 5.5], [7.0, 9.0]])
    assert res.table.loc[0, "icc"] == pytest.approx(run(y).form("ICC2")["icc"], rel=1e-12)


def test_a_changed_table_is_validated_again(sample_measurements):
    m = sample_measurements.copy()
    first = reliability(m, measures=["hu"], kind="inter")
    again = reliability(m, measures=["hu"], kind="inter")
    pd.testing.assert_frame_equal(first.table, again.table)
    hu = m.index[m["measure"] == "hu"][0]
    m.loc[hu, "value"] = m.loc[hu, "value"] + 50.0  # in place, after a first call
    changed = reliability(m, measures=["hu"], kind="inter")
    assert changed.table.loc[0, "icc"] != first.table.loc[0, "icc"]
    m.loc[hu, "value"] = -5000.0  # below the CT scale
    with pytest.raises(DataError, match="value"):
        reliability(m, measures=["hu"], kind="intra")


def test_validation_warnings_come_back_on_every_call(sample_measurements):
    m = sample_measurements
    ff = m["measure"] == "fat_fraction"
    m = m.assign(value=m["value"].where(~ff, m["value"] / 100))
    for kind in ("inter", "intra"):
        with pytest.warns(ovcfstats.ImplausibleValueWarning, match="proportions|0–1"):
            reliability(m, measures=["fat_fraction"], kind=kind)


def test_intra_per_patient_targets_are_patient_and_rater_and_later_sessions_unused():
    rng = np.random.default_rng(3)
    rows = [
        (pid, level, rater, session, float(rng.normal(100, 20)))
        for pid in ("P1", "P2", "P3")
        for level in ("L1", "L2")
        for rater in ("R1", "R2")
        for session in (1, 2, 3)
    ]
    m = pd.DataFrame(rows, columns=["patient_id", "level", "rater", "session", "value"])
    m = m.assign(measure="hu", muscle="", side="")
    res = reliability(m, measures=["hu"], kind="intra", unit="both").table.set_index("unit")
    two = m[m["session"] < 3]
    for unit, build in (("roi", roi_matrix), ("patient", patient_matrix)):
        y = build(two, "hu", "intra")
        assert res.loc[unit, "n_targets"] == len(y) == (12 if unit == "roi" else 6)
        for col in COLUMNS:
            assert res.loc[unit, col] == pytest.approx(run(y).form("ICC2")[col], rel=1e-12), col


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["P10", "P2", "p2", "", "ß", "P1", "10", "2"]), min_size=1))
def test_codes_are_numbered_like_a_sorted_factorize(labels):
    from ovcfstats.data._reading_codes import _factorize

    for column in (pd.Series(labels, dtype=object), pd.Series(labels, dtype="string")):
        codes, uniques = _factorize(column)
        want_codes, want_uniques = pd.factorize(column, sort=True)
        np.testing.assert_array_equal(codes, want_codes)
        assert list(uniques) == list(want_uniques)


@settings(max_examples=50, deadline=None)
@given(arrays(np.int64, st.integers(1, 60), elements=st.integers(-5, 2**40)))
def test_sorted_groups_are_numpy_unique(key):
    from ovcfstats.data._reading_codes import _sorted_groups

    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    codes, got_first = _sorted_groups(key)
    np.testing.assert_array_equal(codes, inverse.ravel())
    np.testing.assert_array_equal(got_first, first)


@pytest.mark.parametrize("sizes", [(7, 5, 3), (2**40, 2**30, 3)])  # the second must compact
def test_combined_codes_keep_the_lexicographic_order(sizes):
    from itertools import pairwise

    from ovcfstats.data._reading_codes import _combine

    rng = np.random.default_rng(0)
    cols = [rng.integers(0, min(s, 6), 200) * (s // min(s, 6)) for s in sizes]
    key, _ = _combine(cols, list(sizes))
    tuples = list(zip(*cols, strict=True))
    order = sorted(range(200), key=lambda i: tuples[i])
    assert (np.diff(key[order]) >= 0).all()
    for i, j in pairwise(order):
        assert (key[i] == key[j]) == (tuples[i] == tuples[j])
