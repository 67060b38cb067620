"""The model registry: architectures register keyword-only builders by name.

`get_model(name, num_classes=..., **kwargs)` builds a `SegmentationModel` and records on it the
architecture name and the builder keyword arguments (`model.arch`, `model.arch_kwargs`), so a
checkpoint can rebuild exactly the same network later. Only plain values (str, numbers, bools, None,
lists, dicts) are accepted as builder arguments, because they end up in a safe-to-load checkpoint.

What the user is told about an architecture (description, training defaults) is not here but in the
torch-free `segmodels.models.catalog`; a name must have a catalog entry before it can register.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from segmodels.errors import SegError
from segmodels.models import catalog

Builder = Callable[..., Any]
B = TypeVar("B", bound=Builder)

_REGISTRY: dict[str, Builder] = {}

#: Builder arguments that choose how to initialise, not what to build: never recorded.
_INIT_ONLY = ("pretrained_backbone", "require_pretrained")


def register_model(name: str) -> Callable[[B], B]:
    """Decorator registering a keyword-only builder `fn(*, num_classes, pretrained_backbone, ...)`."""
    def decorate(builder: B) -> B:
        if name in _REGISTRY:
            raise ValueError(f"a model named {name!r} is already registered")
        if name not in catalog.ARCHITECTURES:  # the GUI and CLI would have nothing to say about it
            raise ValueError(f"a model named {name!r} needs an entry in segmodels/models/catalog.py first")
        _REGISTRY[name] = builder
        return builder
    return decorate


def list_models() -> list[str]:
    """Registered architecture names, sorted."""
    return sorted(_REGISTRY)


def model_description(name: str) -> str:
    """The catalog's one-line description (shown by `segstudio models` and the GUI)."""
    _builder(name)  # an unregistered name is an error here, as everywhere in the registry
    return catalog.architecture(name).description


def _builder(name: str) -> Builder:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise SegError(f"Unknown architecture '{name}'; known: {', '.join(list_models())}.") from None


def model_options(name: str) -> dict[str, Any]:
    """The builder's keyword options and their defaults (what `--model-option KEY=VALUE` may set)."""
    parameters = inspect.signature(_builder(name)).parameters
    return {key: parameter.default for key, parameter in parameters.items()
            if key not in ("num_classes", *_INIT_ONLY) and parameter.kind is inspect.Parameter.KEYWORD_ONLY}


def _check_plain(value: Any, where: str) -> None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(item, where)
        return
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for item in value.values():
            _check_plain(item, where)
        return
    raise SegError(f"Model argument '{where}' must be a plain value (number, text, list), got {type(value).__name__}.")


def get_model(name: str, *, num_classes: int, pretrained_backbone: bool = False,
              require_pretrained: bool = False, **kwargs: Any) -> Any:
    """Build architecture `name` for `num_classes` classes.

    `pretrained_backbone` loads ImageNet backbone weights through torchvision's weights API when
    they are cached or downloadable; otherwise one warning and random initialisation, or a SegError
    when `require_pretrained` is set.
    """
    builder = _builder(name)
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise SegError(f"A model needs a positive number of classes, got {num_classes!r}.")
    options = model_options(name)
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in inspect.signature(builder).parameters.values())
    for key, value in kwargs.items():
        if key not in options and not open_ended:
            known = ", ".join(f"{option}={default!r}" for option, default in options.items()) or "none"
            raise SegError(f"Architecture '{name}' has no option '{key}'; its options (with defaults): {known}.")
        _check_plain(value, key)
    model = builder(num_classes=num_classes, pretrained_backbone=pretrained_backbone,
                    require_pretrained=require_pretrained, **kwargs)
    model.arch = name
    model.arch_kwargs = {k: v for k, v in kwargs.items() if k not in _INIT_ONLY}
    model.num_classes = num_classes
    return model
