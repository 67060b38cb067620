"""`segstudio train`'s options for the crop, the schedule, weight decay, model options and threads.

One block of flags (`add_train_options`), each shown in --help with its default, and the TrainConfig
fields they give (`config_fields`); the config is recorded in every checkpoint, so each setting is
too. `--model-option KEY=VALUE` (repeatable) sets a builder argument of --arch on top of the
architecture's defaults, e.g. `--model-option backbone=mobilenet_v3_large` for deeplabv3plus; values
are read as numbers, true/false/none, else text. `--threads` is a process setting, not a run's
(segmodels.threads). Torch-free: `segstudio --help` stays light.
"""
from __future__ import annotations

import argparse
from typing import Any

from segmodels.errors import SegError
from segmodels.models.catalog import GENERIC_TRAINING, training_defaults
from segmodels.training.config import SCHEDULES, TrainConfig

_WORDS = {"true": True, "false": False, "none": None}


def add_train_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crop-size", type=int, metavar="PIXELS",
                        help=f"square training crop (default per architecture: {GENERIC_TRAINING['crop_size']}; "
                             "m2nist_fcn: its images' own size)")
    parser.add_argument("--schedule", choices=SCHEDULES, default=None,
                        help=f"learning-rate schedule (default {TrainConfig.schedule.value}: warm up, then cosine "
                             "down; poly is torchvision's (1 - t)^0.9)")
    parser.add_argument("--warmup", type=float, metavar="SHARE",
                        help="share of the steps warming up linearly (default 0.15 for onecycle, 0 for the others)")
    parser.add_argument("--weight-decay", type=float, default=TrainConfig.weight_decay,
                        help="Adam weight decay (default %(default)s)")
    parser.add_argument("--model-option", action="append", default=[], metavar="KEY=VALUE",
                        help="builder option of --arch, repeatable (default the architecture's own; e.g. "
                             "deeplabv3plus backbone=resnet50|mobilenet_v3_large, unet base_width=16; "
                             "a wrong key lists the options)")
    parser.add_argument("--threads", type=int,
                        help="torch CPU threads (default OMP_NUM_THREADS if set, else the cores this process may "
                             "use, shared among torchrun processes)")


def parse_model_options(items: list[str]) -> dict[str, Any]:
    """`["backbone=mobilenet_v3_large", "base_width=32"]` -> {"backbone": "mobilenet_v3_large", "base_width": 32}."""
    options: dict[str, Any] = {}
    for item in items:
        key, equals, text = item.partition("=")
        if not equals or not key.strip():
            raise SegError(f"--model-option takes KEY=VALUE (e.g. backbone=mobilenet_v3_large), got '{item}'.")
        options[key.strip()] = _value(text.strip())
    return options


def _value(text: str) -> Any:
    if text.lower() in _WORDS:
        return _WORDS[text.lower()]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def config_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The TrainConfig fields these flags give (left out when not given, so a resumed run keeps its own)."""
    fields: dict[str, Any] = {"crop_size": args.crop_size, "warmup": args.warmup, "weight_decay": args.weight_decay}
    if args.schedule is not None:
        fields["schedule"] = args.schedule
    options = parse_model_options(args.model_option)
    if options:
        if not args.arch:
            raise SegError("--model-option sets options of --arch; a checkpoint given with --from or --resume "
                           "keeps the options it was trained with.")
        fields["model_kwargs"] = {**training_defaults(args.arch)["model_kwargs"], **options}
    return fields
