"""pytorchcv's pretrained CIFAR-100 ResNet-20 and ResNet-56, the networks of Ho's Section VII.

Ho (2022) takes the pretrained weights of Sémery's model zoo (pytorchcv, converted from Gluon),
which reports test errors of 29.64% and 24.88% on CIFAR-100. Our ``resnet20_cifar`` and
``resnet56_cifar`` use pytorchcv's module names, so its state dicts load unchanged.
:func:`pytorchcv_resnet` finds the weights in this order:

1. the file ``path``, if given;
2. pytorchcv's file (e.g. ``resnet20_cifar100-2964-a5322afe.pth``) in the course's data folder
   under ``pytorchcv/``, or in pytorchcv's own cache ``~/.torch/models``;
3. pytorchcv itself, when it is installed and downloads are allowed (it fetches the file from
   GitHub into the data folder).

Otherwise the ``full`` profile stops with an error that names the file, where to put it and
where to get it; the ``quick`` profile says so and returns the network with random weights.
:func:`load_pretrained` loads such a file into any network with pytorchcv's module names.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

from course_lib.models.imagenet import WeightsNotFoundError
from course_lib.models.resnet_cifar import ResNet, resnet20_cifar, resnet56_cifar
from course_lib.profile import check_profile, data_root, is_offline, is_smoke

ZOO = "https://github.com/osmr/imgclsmob/releases/download"
# name: (builder, pytorchcv's file name, release tag, reported CIFAR-100 test error in %)
PYTORCHCV: dict[str, tuple[Callable[..., nn.Module], str, str, float]] = {
    "resnet20_cifar100": (resnet20_cifar, "resnet20_cifar100-2964-a5322afe.pth", "v0.0.180", 29.64),
    "resnet56_cifar100": (resnet56_cifar, "resnet56_cifar100-2488-d65f53b1.pth", "v0.0.181", 24.88),
}  # fmt: skip


def _how_to_save(model: nn.Module) -> str:
    name = "resnet20_cifar100"
    if isinstance(model, ResNet):
        name = f"resnet{2 * sum(model.layers) + 2}_cifar{model.num_classes}"
    return (
        "to create the file, on a machine with internet run `pip install pytorchcv`, then in "
        f'Python: `net = pytorchcv.model_provider.get_model("{name}", pretrained=True)` and '
        "`torch.save(net.state_dict(), path)`"
    )


def load_pretrained(model: nn.Module, path: str | Path) -> nn.Module:
    """Load weights saved from pytorchcv (a state dict file) into ``model``, strictly.

    Nothing is downloaded: the file must exist. Create it once with pytorchcv, e.g.
    ``torch.save(pytorchcv.model_provider.get_model("resnet20_cifar100",
    pretrained=True).state_dict(), path)``.

    Args:
        model: e.g. ``resnet20_cifar()``, whose module names are pytorchcv's.
        path: the ``.pth`` file holding the state dict.

    Returns:
        ``model``, with the loaded weights.

    Example:
        >>> load_pretrained(resnet20_cifar(), "missing.pth")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        FileNotFoundError: no weight file at missing.pth; to create the file, ...
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weight file at {path}; {_how_to_save(model)}")
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state_dict, dict) or not all(
        isinstance(value, Tensor) for value in state_dict.values()
    ):
        raise ValueError(f"{path} does not hold a state dict of tensors; {_how_to_save(model)}")
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as error:
        raise ValueError(
            f"the weights in {path} do not fit this model (was it saved from the same "
            f"architecture?): {error}; {_how_to_save(model)}"
        ) from error
    return model


def _places(file: str, root: str | Path | None) -> list[Path]:
    return [data_root(root) / "pytorchcv" / file, Path("~/.torch/models").expanduser() / file]


def _how_to(name: str, places: list[Path]) -> str:
    _, file, tag, _ = PYTORCHCV[name]
    return (
        f"Put pytorchcv's weight file {file} at {places[0]} (or in {places[1].parent}): download "
        f"{ZOO}/{tag}/{file}.zip and unzip it there, or on a machine with internet run "
        f'`pip install pytorchcv` and `pytorchcv.model_provider.get_model("{name}", '
        f'pretrained=True, root="{places[0].parent}")`. COURSE_DATA sets the data folder.'
    )


def _download(name: str, folder: Path) -> tuple[nn.Module | None, str]:
    """pytorchcv's pretrained network, downloaded into ``folder``, or None and why not."""
    try:
        from pytorchcv.model_provider import get_model
    except ImportError:
        return None, "pytorchcv is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return get_model(name, pretrained=True, root=str(folder)), ""
    except Exception as error:  # no network, a refused or a corrupt download: say what it was
        return None, f"pytorchcv's download failed: {type(error).__name__}"


def pytorchcv_resnet(
    name: str,
    *,
    profile: str,
    path: str | Path | None = None,
    root: str | Path | None = None,
    offline: bool | None = None,
) -> tuple[nn.Module, bool]:
    """The CIFAR-100 ResNet ``name`` with pytorchcv's pretrained weights (see the module).

    Args:
        name: "resnet20_cifar100" or "resnet56_cifar100".
        profile: "full" raises when the weights cannot be had; "quick" falls back to random
            weights and says so.
        path: a state-dict file to load (pytorchcv's, or ``torch.save(model.state_dict())``).
        root: the data folder (see ``course_lib.profile.data_root``).
        offline: forbid downloads; None reads ``COURSE_OFFLINE``.

    Returns:
        ``(model, pretrained)``: the network (on the CPU) and whether it has the weights.

    Raises:
        FileNotFoundError: ``path`` does not exist, or (``full``, as
            :class:`WeightsNotFoundError`) no weights could be found.

    Example:
        >>> model, pretrained = pytorchcv_resnet(
        ...     "resnet20_cifar100", profile="quick", root="/nonexistent", offline=True
        ... )  # doctest: +ELLIPSIS
        No pretrained weights for resnet20_cifar100 ...
        >>> pretrained
        False
    """
    if name not in PYTORCHCV:
        raise ValueError(f"unknown network {name!r}; choose one of {list(PYTORCHCV)}")
    check_profile(profile)
    builder, file, _, _ = PYTORCHCV[name]
    model = builder(num_classes=100)
    if path is not None:
        return load_pretrained(model, path), True
    places = _places(file, root)
    for place in places:
        if place.is_file():
            return load_pretrained(model, place), True
    downloaded, why = None, "offline"
    if not is_offline(offline):
        downloaded, why = _download(name, places[0].parent)
    if downloaded is not None:
        model.load_state_dict(downloaded.state_dict(), strict=True)
        return model, True
    how = _how_to(name, places)
    if profile == "full" and not is_smoke():
        raise WeightsNotFoundError(f"No pretrained weights for {name} ({why}). {how}")
    print(
        f"No pretrained weights for {name} ({why}): using random weights, so what follows shows "
        f"an untrained network, not Ho's. {how}"
    )
    return model, False
