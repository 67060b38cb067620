"""The CLI's architecture and device choices, its stated defaults and `segstudio models` come from the
catalog, the table the GUI reads too."""
from __future__ import annotations

import json

import pytest

from segmodels.cli import build_parser
from segmodels.cli import main as cli_main
from segmodels.models.catalog import ARCHITECTURES, DEFAULT_ARCH, DEVICE_CHOICES, training_defaults


def _subparser(name: str):
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]


def _option(parser, flag: str):
    return next(a for a in parser._actions if flag in a.option_strings)


def test_train_accepts_exactly_the_catalog_architectures(capsys):
    train = _subparser("train")
    assert tuple(_option(train, "--arch").choices) == tuple(ARCHITECTURES)
    args = build_parser().parse_args(["train", "P", "--arch", DEFAULT_ARCH])
    assert args.arch == DEFAULT_ARCH
    assert cli_main(["train", "P", "--arch", "not_an_architecture"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_train_help_states_the_catalog_defaults():
    description = " ".join(_subparser("train").description.split())
    m2nist = training_defaults("m2nist_fcn")
    assert f"m2nist_fcn: {m2nist['epochs']} epochs, batch {m2nist['batch_size']}, Adam lr {m2nist['lr']:g}" \
        in description


@pytest.mark.parametrize("command", ["train", "predict", "evaluate"])
def test_device_option_lists_every_choice_and_defaults_to_auto(command):
    option = _option(_subparser(command), "--device")
    assert option.default == DEVICE_CHOICES[0] == "auto"
    text = f"{option.help} {option.metavar or ''}"
    assert all(choice in text for choice in DEVICE_CHOICES)


def test_models_lists_catalog_descriptions_and_training_defaults(capsys):
    assert cli_main(["models", "--json", "--num-classes", "3"]) == 0
    rows = json.loads(capsys.readouterr().out)["models"]
    assert [row["name"] for row in rows] == list(ARCHITECTURES)
    for row in rows:
        defaults = training_defaults(row["name"])
        assert row["description"] == ARCHITECTURES[row["name"]].description
        assert row["training"] == {key: defaults[key] for key in ("epochs", "batch_size", "lr", "augment")}
