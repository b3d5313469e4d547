"""torchvision's ResNet-18 with its ImageNet weights, ready to fine-tune on another dataset.

The weights are torchvision's ``ResNet18_Weights.IMAGENET1K_V1`` (He et al. 2016, trained on
ImageNet at 224x224), one 45 MB file. They are looked for in this order: the file given as
``weights_path``; torch's hub cache (``torch.hub.get_dir()/checkpoints``, where torchvision
keeps what it downloads); a download into that cache, unless offline. When none works, the
``full`` profile stops with :class:`WeightsNotFoundError`, which says how to get the file and
where to put it; the ``quick`` profile prints why and keeps random weights, so that the code
still runs (its results then say nothing about transfer learning).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from course_lib.profile import check_profile, is_offline, is_smoke, shown_path


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are missing and could not be downloaded, where random ones won't do."""


def _weights():  # torchvision's ResNet18_Weights.IMAGENET1K_V1
    from torchvision.models import ResNet18_Weights

    return ResNet18_Weights.IMAGENET1K_V1


def default_weights_path() -> Path:
    """Where torchvision keeps the ImageNet ResNet-18 weights: the hub cache's checkpoints.

    Example:
        >>> default_weights_path().name
        'resnet18-f37072fd.pth'
    """
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(_weights().url)


def how_to_get_weights(path: Path | None = None) -> str:
    """The sentence that says how to make the ImageNet ResNet-18 weights available offline."""
    url, target = _weights().url, path or default_weights_path()
    return (
        f"On a machine with internet, download {url} (or run `torchvision.models.resnet18("
        f'weights="IMAGENET1K_V1")`, which saves it), then put the file at {target} '
        "(TORCH_HOME moves torch's cache folder) or pass its path as weights_path."
    )


def _load_state_dict(path: Path | None, offline: bool) -> tuple[dict | None, str]:
    """The weights as a state dict and where they came from, or None and why not."""
    if path is not None:
        if not path.is_file():
            raise WeightsNotFoundError(f"no weight file at {path}. {how_to_get_weights(path)}")
        return torch.load(path, map_location="cpu", weights_only=True), f"loaded from {path}"
    cached = default_weights_path()
    if cached.is_file():
        state_dict = torch.load(cached, map_location="cpu", weights_only=True)
        return state_dict, f"loaded from {shown_path(cached)}"
    if offline:
        return None, f"offline (COURSE_OFFLINE is set) and no file at {shown_path(cached)}"
    try:
        state_dict = torch.hub.load_state_dict_from_url(
            _weights().url, map_location="cpu", progress=False, file_name=cached.name
        )
    except (OSError, RuntimeError) as error:  # URLError is an OSError; a bad hash a RuntimeError
        return None, f"the download from {_weights().url} failed ({error})"
    return state_dict, f"downloaded to {shown_path(cached)}"


def imagenet_resnet18(
    num_classes: int | None = 10,
    *,
    profile: str,
    weights_path: str | os.PathLike | None = None,
    offline: bool | None = None,
) -> tuple[nn.Module, bool]:
    """torchvision's ResNet-18 with ImageNet weights and a new last layer of ``num_classes``.

    Args:
        num_classes: outputs of a new, randomly initialised last layer ``fc`` (512 -> classes);
            None keeps ImageNet's 1000-class layer with its weights.
        profile: ``"full"`` raises :class:`WeightsNotFoundError` when the weights cannot be had;
            ``"quick"`` prints why and keeps random weights.
        weights_path: a local copy of the weight file (``resnet18-f37072fd.pth``); None looks
            in torch's hub cache and downloads there when online.
        offline: forbid the download; None reads ``COURSE_OFFLINE``.

    Returns:
        ``(model, pretrained)``: the network, mapping (N, 3, 224, 224) images normalised with
        ImageNet's statistics to (N, num_classes) logits, and whether it has ImageNet weights.

    Example:
        >>> model, pretrained = imagenet_resnet18(10, profile="quick", offline=True)
        ... # doctest: +ELLIPSIS
        ImageNet weights for ResNet-18 not loaded: ...
        >>> model.fc, pretrained
        (Linear(in_features=512, out_features=10, bias=True), False)
    """
    from torchvision.models import resnet18

    check_profile(profile)
    if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
        raise ValueError(f"num_classes must be a positive int or None, got {num_classes!r}")
    path = Path(weights_path) if weights_path is not None else None
    state_dict, how = _load_state_dict(path, is_offline(offline))
    model = resnet18()  # random weights, ImageNet's 1000 classes
    if state_dict is None and profile == "full" and not is_smoke():
        raise WeightsNotFoundError(
            f"ImageNet weights for ResNet-18 are needed in the full profile: {how}. "
            + how_to_get_weights()
        )
    if state_dict is None:
        print(
            f"ImageNet weights for ResNet-18 not loaded: {how}. The network keeps random weights "
            f"({'smoke run' if is_smoke() else 'quick profile'}), so nothing below shows what "
            "pretraining does. " + how_to_get_weights()
        )
    else:
        try:
            model.load_state_dict(state_dict)
        except RuntimeError as error:
            raise ValueError(
                f"the weights ({how}) do not fit torchvision's ResNet-18: {error}"
            ) from error
        print(f"ImageNet weights for ResNet-18 {how}.")
    if num_classes is not None:
        model.fc = nn.Linear(model.fc.in_features, num_classes)  # (N, 512) -> (N, num_classes)
    return model, state_dict is not None


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names, in the order of the pretrained model's outputs.

    Example:
        >>> imagenet_categories()[281]
        'tabby'
    """
    return list(_weights().meta["categories"])
