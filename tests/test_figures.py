"""Figures a biologist reads at a glance: titles inside the figure, colour scales that span the
data, points rather than boxes for a handful of cell types, and a note on simulated data."""

import numpy as np
import pandas as pd
import pytest

from chromexpr.crosscell import plot_transfer_heatmap
from chromexpr.crosscell.heatmap import colour_range
from chromexpr.plots.figure import SIMULATED_NOTE, fitted, new_figure, set_title
from chromexpr.plots.scores import plot_model_comparison

LONG_TITLE = (
    "attentivechrome, normalisation cpm: test AUC, train cell (rows) x test cell (columns), "
    "cells ordered by average-linkage clustering"
)


def inside_figure(figure, text) -> bool:
    renderer = figure.canvas.get_renderer()
    figure.draw(renderer)
    box = text.get_window_extent(renderer)
    page = figure.bbox
    return box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y1 <= page.y1 + 1


def auc_table(models=("deepchrome", "linear"), cells=("E003", "E004", "E005")) -> pd.DataFrame:
    rows = [
        {"model": model, "cell": cell, "test_auc": 0.70 + 0.05 * m + 0.01 * c}
        for m, model in enumerate(models)
        for c, cell in enumerate(cells)
    ]
    return pd.DataFrame(rows)


def test_fitted_wraps_a_long_title_onto_lines_that_fit_the_width():
    lines = fitted(LONG_TITLE, width_inches=4.0, fontsize=12).splitlines()
    assert len(lines) > 1
    assert max(len(line) for line in lines) <= int(4.0 * 72 / (12 * 0.6))
    assert " ".join(lines) == LONG_TITLE


def test_a_long_axes_title_stays_inside_a_narrow_figure():
    figure = new_figure(4.0, 3.0)
    axes = figure.add_subplot()
    set_title(axes, LONG_TITLE)
    assert inside_figure(figure, axes.title)


def test_heatmap_title_stays_inside_and_colour_scale_spans_the_data(tmp_path):
    cells = ["E003", "E004", "E005"]
    values = np.array([[0.84, 0.81, 0.80], [0.82, 0.85, 0.79], [0.80, 0.80, 0.83]])
    matrix = pd.DataFrame(values, index=cells, columns=cells)
    figure = plot_transfer_heatmap(matrix, tmp_path / "h.png", tmp_path / "h.svg", LONG_TITLE)
    axes = figure.axes[0]
    assert inside_figure(figure, axes.title)
    low, high = axes.images[0].get_clim()
    assert (low, high) == pytest.approx((0.79, 0.85))
    # Every AUC is written in its square.
    printed = sorted(text.get_text() for text in axes.texts)
    assert printed == sorted(f"{value:.2f}" for value in values.ravel())


def test_colour_range_keeps_near_equal_values_apart():
    low, high = colour_range(np.array([0.8312, 0.8318]))
    assert high - low == pytest.approx(0.02)
    assert low <= 0.8312 and high >= 0.8318


def test_model_comparison_shows_every_cell_as_a_point_on_an_axis_from_chance(tmp_path):
    table = auc_table()
    figure = plot_model_comparison(table, tmp_path / "m.png", tmp_path / "m.svg")
    axes = figure.axes[0]
    points = [line for line in axes.lines if line.get_marker() == "o"]
    assert sum(len(line.get_xdata()) for line in points) == len(table)
    # No box plot: no whiskers or caps (boxplot draws them as marker-less Line2D pairs).
    assert not [line for line in axes.patches]
    assert axes.get_ylim()[0] <= 0.5
    assert inside_figure(figure, axes.title)


def test_model_comparison_draws_intervals_where_the_table_has_them(tmp_path):
    table = auc_table()
    table["test_auc_ci_low"] = table["test_auc"] - 0.02
    table["test_auc_ci_high"] = table["test_auc"] + 0.02
    figure = plot_model_comparison(table, tmp_path / "m.png", tmp_path / "m.svg")
    axes = figure.axes[0]
    bars = [collection for collection in axes.collections if len(collection.get_segments())]
    assert sum(len(collection.get_segments()) for collection in bars) == len(table)
    assert "95% CI" in axes.get_title()


@pytest.mark.parametrize("simulated", [True, False])
def test_figures_of_simulated_data_say_so(tmp_path, simulated):
    figure = plot_model_comparison(
        auc_table(), tmp_path / "m.png", tmp_path / "m.svg", simulated=simulated
    )
    note = figure.get_supxlabel().replace("\n", " ")
    assert (SIMULATED_NOTE in note) is simulated
    if simulated:
        assert inside_figure(figure, figure._supxlabel)


def test_model_comparison_draws_the_mean_of_a_cells_runs_with_its_spread(tmp_path):
    runs = pd.concat([auc_table().assign(seed=seed) for seed in (1, 2)], ignore_index=True)
    runs.loc[runs["seed"] == 2, "test_auc"] += 0.02
    figure = plot_model_comparison(runs, tmp_path / "m.png", tmp_path / "m.svg")
    axes = figure.axes[0]
    points = np.concatenate([line.get_ydata() for line in axes.lines if line.get_marker() == "o"])
    assert sorted(points) == pytest.approx(sorted(auc_table()["test_auc"] + 0.01))
    assert "sd over folds and seeds" in axes.get_title().replace("\n", " ")
