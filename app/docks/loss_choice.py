"""The Training dock's "Loss" row: which training loss a run uses (segmodels.training.loss_kinds).

The combo offers the words `segstudio train --loss` takes, each with its one-line description as a
tooltip, and shows the chosen architecture's default from the torch-free catalog (the dock calls
`show_loss` with it), so untouched settings train as the CLI does. The defaults were chosen by
measurement (docs/training.md#class-imbalance).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout

from segmodels.training.loss_kinds import LOSS_DESCRIPTIONS, LossKind


class LossCombo(QComboBox):
    """One item per loss word; `loss()` is the chosen word."""

    def __init__(self) -> None:
        super().__init__()
        for kind in LossKind:
            self.addItem(kind.value, kind.value)
            self.setItemData(self.count() - 1, LOSS_DESCRIPTIONS[kind], Qt.ItemDataRole.ToolTipRole)
        self.setToolTip("Training loss. Weighted cross-entropy counts rare classes more (weights from the "
                        "training labels' class frequencies); '+dice' adds a soft Dice term. Each architecture's "
                        "default was the best measured on the demo digits.")

    def show_loss(self, loss: str) -> None:
        """Select `loss` (an architecture's default); an unknown word leaves the choice as it is."""
        index = self.findData(str(loss))
        if index >= 0:
            self.setCurrentIndex(index)

    def loss(self) -> str:
        return str(self.currentData())


def add_loss_row(form: QFormLayout) -> LossCombo:
    """A "Loss" row at the end of `form`; returns its combo."""
    combo = LossCombo()
    form.addRow("Loss", combo)
    return combo
