"""File → Save Labels As… (Ctrl+Shift+S): the questions and reports around app/document/save_as.py.

Flow: finish a stroke being drawn, ask for a folder (app.messages.choose_folder, the seam tests
replace), refuse a folder that cannot take labels (one sentence, nothing written), ask before
replacing existing files (Yes replaces, No writes nothing), write, then count the edits as saved
and say "Saved N label(s) to <folder>." in the status bar. A failed write is one message box
sentence and nothing counts as saved.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from app import messages
from app.document import save_as
from segmodels.errors import SegError, describe

if TYPE_CHECKING:
    from app.window.main_window import MainWindow


def save_labels_as(window: MainWindow) -> bool:
    """Run the command on `window`'s document; True when labels were written."""
    document = window.document
    project = document.project
    if project is None:
        return False
    window.tools.cancel_or_finish()  # the pixels of a stroke being drawn are part of what is written
    images = save_as.images_to_write(document)
    if not images:
        messages.info(window, "There is no label to save: no image is open.")
        return False
    folder = messages.choose_folder(window, "Save labels to a folder")
    if folder is None:
        return False  # cancelled
    refused = save_as.refusal(project, folder)
    if refused is not None:
        messages.error(window, refused)
        return False
    paths = save_as.targets(folder, images, project.label_encoding)
    replaced = save_as.existing(paths)
    if replaced:
        names = ", ".join(path.name for path in replaced[:5]) + (" …" if len(replaced) > 5 else "")
        question = f"{len(replaced)} file(s) in {describe(folder)} would be replaced ({names}). Replace them?"
        if messages.ask(window, question) is not messages.Answer.YES:
            return False
    try:
        save_as.write_all(document, paths)
    except SegError as exc:
        messages.error(window, str(exc))
        return False
    save_as.mark_written(document, images)
    for image in images:
        # Their edits are on disk now (in `folder`): a crash can no longer lose them, and a recovery
        # file left behind would bring them back as unsaved at the next start.
        window.autosave.forget(image)
    document.status_message.emit(f"Saved {len(images)} label(s) to {describe(folder)}.")
    return True
