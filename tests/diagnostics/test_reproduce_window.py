"""The comparison page of the replay window draws both sessions on one time axis: the verdict bands
are where the verdicts were, in their colours, and the report sits beside the chart."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor

from seller_studio.diagnostics.repro_compare import compare, report_text
from seller_studio.ui.replay.compare_view import VERDICT_COLOURS, ComparisonWindow
from tests.diagnostics.test_reproduce import _net_drop_journal

pytestmark = pytest.mark.qt


def test_comparison_window_draws_both_sessions(qtbot):
    comparison = compare(_net_drop_journal(), _net_drop_journal(shift_s=1.0))
    window = ComparisonWindow(comparison, report_text(comparison, "case.zip"), "case.zip")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "Verdict: REPRODUCED" in window.report.toPlainText()
    image = window.chart.grab().toImage()
    chart = window.chart
    # The verdict band sits just under each strip's title: sample it in the middle of the outage.
    strip_h = (chart.height() - 44 - 40) / 2
    for row, outage_s in ((0, 8.0), (1, 9.0)):
        band = QRectF(64, 36 + row * strip_h + 18, chart.width() - 80, 16)
        x = int(chart.x_of(outage_s, band))
        assert QColor(image.pixel(x, int(band.center().y()))).name() == VERDICT_COLOURS["connection lost"]
        x_ok = int(chart.x_of(2.0, band))
        assert QColor(image.pixel(x_ok, int(band.center().y()))).name() == VERDICT_COLOURS["healthy"]
