"""What a user reads from the command line after the merge review: the command list names only real
commands, file kinds keep their capitals ("COCO file"), and counts agree with their nouns."""
from __future__ import annotations

import argparse

from segmodels.cli import build_parser, command_names
from segmodels.cli import main as cli_main
from segmodels.errors import capitalised


def test_command_names_are_exactly_the_commands_the_parser_takes():
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(command_names()) == sorted(action.choices)  # no helper module (train_options) listed


def test_launcher_lists_only_real_commands_for_an_unknown_word(tmp_path, monkeypatch, capsys):
    from app.startup.launcher import main as launcher_main

    monkeypatch.chdir(tmp_path)
    assert launcher_main(["no-such-thing"]) == 2
    err = capsys.readouterr().err
    assert "train-options" not in err and "validate" in err and len(err.strip().splitlines()) == 1


def test_file_kinds_keep_their_capitals(tmp_path, capsys):
    assert capitalised("COCO file") == "COCO file" and capitalised("label file") == "Label file"
    code = cli_main(["import", "coco", str(tmp_path / "missing.json"), "--images", str(tmp_path),
                     "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and f"COCO file '{tmp_path / 'missing.json'}' does not exist." in err


def test_resume_of_a_finished_one_epoch_run_says_epoch(tmp_path, capsys):
    import torch

    from segmodels.demo import write_demo_project
    from segmodels.models import get_model
    from segmodels.models.checkpoint import save_checkpoint

    project = write_demo_project(tmp_path / "demo", count=6)
    torch.manual_seed(0)
    model = get_model("m2nist_fcn", num_classes=len(project.classes))
    checkpoint = save_checkpoint(tmp_path / "run.last.pt", model, classes=project.classes, epoch=1)
    code = cli_main(["train", str(project.root), "--resume", str(checkpoint), "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "has already trained 1 epoch;" in err, err


def test_help_names_enum_choices_by_their_words_not_their_python_names():
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in action.choices.items():
        text = parser.format_help()
        assert "Schedule." not in text and "LabelEncoding." not in text and "Loss." not in text, name
    assert "onecycle schedule" in " ".join(action.choices["train"].format_help().split())
