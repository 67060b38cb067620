"""Training curves coalesce redraws (the GUI thread stays free) and still catch up soon."""
from __future__ import annotations


def test_curves_coalesce_redraws_and_catch_up(qtbot):
    from app.docks.curves import TrainingCurves

    curves = TrainingCurves()
    qtbot.addWidget(curves)
    curves.ensure_plots()
    for step in range(5):
        curves.add_loss(step / 5, 1.0 - step / 10)
    curves.add_miou(1.0, 0.5)

    def plotted() -> int:
        x = curves._loss_curve.getData()[0]
        return 0 if x is None else len(x)

    assert plotted() == 0  # not redrawn per report...
    qtbot.waitUntil(lambda: plotted() == 5, timeout=2000)  # ...but soon
    assert list(curves._miou_curve.getData()[1]) == [0.5]
