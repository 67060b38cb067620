"""The architecture catalog is the one torch-free source of names, descriptions, training defaults,
the default architecture and the device choices; the registry cannot grow past it."""
from __future__ import annotations

import subprocess
import sys

import pytest

from segmodels.models import catalog


def test_catalog_names_are_the_registered_architectures():
    from segmodels.models import list_models

    assert list(catalog.architecture_names()) == list_models()
    assert catalog.DEFAULT_ARCH in catalog.ARCHITECTURES


def test_an_architecture_without_metadata_cannot_register():
    from segmodels.models import list_models, register_model

    with pytest.raises(ValueError, match="needs an entry in segmodels/models/catalog.py"):
        register_model("no_such_arch_in_the_catalog")(lambda **kw: None)
    assert "no_such_arch_in_the_catalog" not in list_models()


@pytest.mark.parametrize("name", catalog.architecture_names())
def test_description_is_the_catalog_line_and_agrees_with_the_builder(name):
    from segmodels.models import model_description
    from segmodels.models.registry import _builder

    entry = catalog.architecture(name)
    assert model_description(name) == entry.description and entry.description
    # The builder's docstring opens with the same sentence: the two cannot drift apart unseen.
    assert (_builder(name).__doc__ or "").strip().splitlines()[0] == entry.description


def test_training_defaults_are_complete_fresh_copies():
    from segmodels.training.config import TrainConfig

    fields = set(TrainConfig.__dataclass_fields__)
    for name in catalog.architecture_names():
        defaults = catalog.training_defaults(name)
        assert set(defaults) == set(catalog.GENERIC_TRAINING) and set(defaults) <= fields
        defaults["model_kwargs"]["changed"] = True           # a caller's change stays the caller's
        assert "changed" not in catalog.training_defaults(name)["model_kwargs"]
    assert catalog.training_defaults("from_a_newer_segstudio") == dict(catalog.GENERIC_TRAINING)
    assert catalog.training_defaults("m2nist_fcn")["lr"] == 5e-3   # its own, not the generic 1e-4


def test_unknown_architecture_is_one_sentence():
    from segmodels.errors import SegError

    with pytest.raises(SegError, match="Unknown architecture 'nope'; known: .*m2nist_fcn"):
        catalog.architecture("nope")


def test_device_choices_have_one_definition_and_list_mps():
    from segmodels.inference import device

    assert device.DEVICE_CHOICES is catalog.DEVICE_CHOICES
    assert catalog.DEVICE_CHOICES[0] == "auto" and "mps" in catalog.DEVICE_CHOICES


def test_catalog_config_and_light_packages_import_without_torch():
    modules = ["segmodels.models.catalog", "segmodels.training.config", "segmodels.models", "segmodels.training",
               "segmodels.inference.device"]
    code = ("import sys, importlib\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "from segmodels.training.config import TrainConfig\n"
            "TrainConfig(project='p', arch='unet').resolved('unet')\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] in ('torch', 'torchvision')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_lazy_packages_still_give_every_name():
    import segmodels.models
    import segmodels.training

    for package in (segmodels.models, segmodels.training):
        for name in package.__all__:
            assert getattr(package, name) is not None
        with pytest.raises(AttributeError):
            package.no_such_name  # noqa: B018
