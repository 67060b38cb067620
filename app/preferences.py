"""The user's preferences: a typed view of QSettings (organisation and application "segstudio").

Every setting is one `IntSetting` (key, default, valid range) and one property of `Preferences`; all
reads go through `Preferences._read` and all writes through `Preferences._write`, so the parsing and
the range check live in one place. A stored value is only ever a hint: the settings file is the
user's to edit (or a different version's to write), so a value that is not a whole number, or is
outside the range, reads as the default instead of failing, and is left in the file untouched.
Writing a value outside the range is a programming error (the dialog's widgets stay in range).

    preferences = Preferences()
    preferences.undo_limit_mib          # 512 unless the user chose otherwise (16..65536)
    preferences.undo_limit_mib = 1024   # stored at once; False from `store_undo_limit` if it could not be

QSettings is constructed on use and cheap: the window reads its preferences at start.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings

from app.document.undo_budget import UNDO_LIMIT_BYTES

ORGANIZATION = "segstudio"
APPLICATION = "segstudio"
MIB = 2 ** 20


@dataclass(frozen=True)
class IntSetting:
    """One whole-number preference: where it is stored, its default and its valid range (inclusive)."""

    key: str
    default: int
    minimum: int
    maximum: int

    def parse(self, raw: object) -> int:
        """The stored `raw` value as a valid number, else the default. QSettings hands back an int
        for a value written in this process and a str for one read from the file."""
        if isinstance(raw, bool):  # a bool is an int to Python, but never a meaningful size
            return self.default
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str):
            try:
                value = int(raw.strip())
            except ValueError:
                return self.default
        else:
            return self.default
        return value if self.minimum <= value <= self.maximum else self.default


#: Memory cap on undo steps across all open images (app/document/undo_budget.py), in MiB. Below
#: 16 MiB a single large stroke would already fill it; 64 GiB is more than any machine we target.
UNDO_LIMIT_MIB = IntSetting("undo/limit_mib", UNDO_LIMIT_BYTES // MIB, 16, 65536)


class Preferences:
    """The stored preferences, read and written one property at a time."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)

    @property
    def file_name(self) -> str:
        """Where the preferences are stored (for a message when they cannot be written)."""
        return self._settings.fileName()

    @property
    def undo_limit_mib(self) -> int:
        return self._read(UNDO_LIMIT_MIB)

    @undo_limit_mib.setter
    def undo_limit_mib(self, value: int) -> None:
        self._write(UNDO_LIMIT_MIB, value)

    @property
    def undo_limit_bytes(self) -> int:
        """`undo_limit_mib` in bytes: what `LabelDocument.set_undo_limit` takes."""
        return self.undo_limit_mib * MIB

    def store_undo_limit(self, mib: int) -> bool:
        """Store the undo cap; False when the settings file could not be written (full disk,
        read-only config folder): the caller still applies the value, for this session."""
        return self._write(UNDO_LIMIT_MIB, mib)

    # -- the one place settings are read and written -----------------------------------------------
    def _read(self, setting: IntSetting) -> int:
        return setting.parse(self._settings.value(setting.key, setting.default))

    def _write(self, setting: IntSetting, value: int) -> bool:
        if isinstance(value, bool) or not isinstance(value, int) or not setting.minimum <= value <= setting.maximum:
            raise ValueError(f"{setting.key} must be a whole number in {setting.minimum}..{setting.maximum}, "
                             f"not {value!r}")
        self._settings.setValue(setting.key, value)
        self._settings.sync()  # written now: a crash later in the session does not lose the choice
        return self._settings.status() == QSettings.Status.NoError
