"""The user's preferences: a typed view of QSettings (organisation and application "segstudio").

Every setting is one declaration (`IntSetting`: key, default, valid range; `ChoiceSetting`, `BoolSetting`,
`TextSetting`) read with `Preferences.read(setting)` and written with `Preferences.store(setting, value)`,
so the parsing and the validity check live in one place (the undo cap also has its own property). A
stored value is only ever a hint: the settings file is the user's to edit (or a different version's
to write), so a value that is not valid (not a whole number, outside the range, not one of the
choices) reads as the default instead of failing, and is left in the file untouched. Writing an
invalid value is a programming error (the dialog's widgets stay in range).

    preferences = Preferences()
    preferences.undo_limit_mib          # 512 unless the user chose otherwise (16..65536)
    preferences.undo_limit_mib = 1024   # stored at once; False from `store_undo_limit` if it could not be

QSettings is constructed on use and cheap: the window reads its preferences at start.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QSettings

from app.document.recovery import AUTOSAVE_DELAY_MS
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
        return value if self.valid(value) else self.default

    def valid(self, value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value <= self.maximum


@dataclass(frozen=True)
class ChoiceSetting:
    """One of a fixed set of words (a device, a model type, a tool). `options` may be a function
    giving them, so the module that owns the list loads when a value is first read, not at start-up."""

    key: str
    default: str
    options: tuple[str, ...] | Callable[[], tuple[str, ...]]

    @property
    def choices(self) -> tuple[str, ...]:
        return self.options() if callable(self.options) else self.options

    def parse(self, raw: object) -> str:
        word = raw.strip() if isinstance(raw, str) else None
        return word if word in self.choices else self.default

    def valid(self, value: object) -> bool:
        return value in self.choices


@dataclass(frozen=True)
class BoolSetting:
    key: str
    default: bool

    def parse(self, raw: object) -> bool:
        """QSettings hands back a bool written in this process and "true"/"false" read from the file."""
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        return self.default

    def valid(self, value: object) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class TextSetting:
    """Free text, e.g. a file path ("" = not set)."""

    key: str
    default: str = ""

    def parse(self, raw: object) -> str:
        return raw if isinstance(raw, str) else self.default

    def valid(self, value: object) -> bool:
        return isinstance(value, str)


Setting = IntSetting | ChoiceSetting | BoolSetting | TextSetting

#: Memory cap on undo steps across all open images (app/document/undo_budget.py), in MiB. Below
#: 16 MiB a single large stroke would already fill it; 64 GiB is more than any machine we target.
UNDO_LIMIT_MIB = IntSetting("undo/limit_mib", UNDO_LIMIT_BYTES // MIB, 16, 65536)
#: Seconds from an edit to its recovery file (app/document/recovery.py); 10 minutes at most, since
#: that is what a crash may then lose.
AUTOSAVE_SECONDS = IntSetting("autosave/interval_s", AUTOSAVE_DELAY_MS // 1000, 1, 600)
#: The device predict and train jobs started from the window use (the docks' Device choice).
DEFAULT_DEVICE = ChoiceSetting("jobs/device", "auto", lambda: _device_choices())
#: Side of the image list's thumbnails in pixels.
THUMBNAIL_PX = IntSetting("view/thumbnail_px", 64, 32, 256)
#: Tint the pixels no class has been painted on yet (read by the canvas).
UNLABELLED_TINT = BoolSetting("view/unlabelled_tint", True)  # an eraser stroke on a dark class must show
#: The Segment Anything checkpoint and its model type (the registry names of segment-anything and sam2;
#: "auto" reads it from the file), read by the SAM prompt backend (segmodels.prompts): nothing is
#: downloaded, the user points at a file they have.
SAM_WEIGHTS_PATH = TextSetting("sam/weights_path", "")
SAM_MODEL_TYPE = ChoiceSetting("sam/model_type", "auto", lambda: _sam_model_types())


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
        self._write({UNDO_LIMIT_MIB: value})

    @property
    def undo_limit_bytes(self) -> int:
        """`undo_limit_mib` in bytes: what `LabelDocument.set_undo_limit` takes."""
        return self.undo_limit_mib * MIB

    def store_undo_limit(self, mib: int) -> bool:
        """Store the undo cap; False when the settings file could not be written (full disk,
        read-only config folder): the caller still applies the value, for this session."""
        return self._write({UNDO_LIMIT_MIB: mib})

    def read(self, setting: Setting) -> int | str | bool:
        """The stored value of `setting`, or its default when absent or not valid."""
        return self._read(setting)

    def store(self, setting: Setting, value: int | str | bool) -> bool:
        """Store `value` (ValueError when not valid for `setting`); False when the file could not be written."""
        return self._write({setting: value})

    def store_all(self, values: Mapping[Setting, int | str | bool]) -> bool:
        """`store` for several settings, written to the file once (each write of the file costs
        milliseconds to tens of them: it is replaced atomically and flushed to disk)."""
        return self._write(values)

    # -- the one place settings are read and written -----------------------------------------------
    def _read(self, setting: Setting):
        return setting.parse(self._settings.value(setting.key, setting.default))

    def _write(self, values: Mapping[Setting, int | str | bool]) -> bool:
        for setting, value in values.items():  # all checked before any is written
            if not setting.valid(value):
                if isinstance(setting, IntSetting):
                    raise ValueError(f"{setting.key} must be a whole number in {setting.minimum}..{setting.maximum}, "
                                     f"not {value!r}")
                raise ValueError(f"{setting.key} cannot be {value!r}")
        for setting, value in values.items():
            self._settings.setValue(setting.key, value)
        self._settings.sync()  # written now: a crash later in the session does not lose the choice
        return self._settings.status() == QSettings.Status.NoError


def _device_choices() -> tuple[str, ...]:
    from segmodels.models.catalog import DEVICE_CHOICES

    return DEVICE_CHOICES


def _sam_model_types() -> tuple[str, ...]:
    from segmodels.prompts.base import MODEL_TYPES

    return MODEL_TYPES
