"""Where the decoder thesis reads a CIFAR ResNet (Björklund, 2024): its checkpoints.

A *checkpoint* is a module of the classifier whose output the thesis studies: after each stage,
after the average pooling and after the linear layer (Table 1). ``checkpoints`` records their
outputs with forward hooks in one pass; ``encoder_upto`` is the part of the network in front of
one of them, which a decoder's training runs instead of the whole network.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

# Where the decoder thesis (Table 1) reads ResNet-18: after each stage, after the average
# pooling and after the classifier. Shapes for one 32x32 image: (64, 32, 32), (128, 16, 16),
# (256, 8, 8), (512, 4, 4), (512, 1, 1) and (10,).
CHECKPOINTS = (
    "features.stage1",
    "features.stage2",
    "features.stage3",
    "features.stage4",
    "features.final_pool",
    "output",
)


def checkpoints(model: nn.Module, X: Tensor, names: Sequence[str] = CHECKPOINTS) -> list[Tensor]:
    """Run ``model`` on ``X`` and return the outputs of the modules ``names``, in that order.

    Forward hooks record the outputs, so the model runs unchanged (in its current train/eval
    mode, with autograd as the caller has it).

    Args:
        model: the network, e.g. ``resnet18_cifar()``.
        X: a batch of images, (N, 3, 32, 32) for the CIFAR ResNets.
        names: module names as ``model.named_modules()`` gives them; by default the six
            checkpoints of the decoder thesis.

    Returns:
        One tensor per name; for ``resnet18_cifar`` (N, 64, 32, 32), (N, 128, 16, 16),
        (N, 256, 8, 8), (N, 512, 4, 4), (N, 512, 1, 1) and (N, 10).

    Example:
        >>> import torch
        >>> from course_lib.models.resnet_cifar import resnet18_cifar
        >>> Ys = checkpoints(resnet18_cifar().eval(), torch.zeros(1, 3, 32, 32))
        >>> for Y in Ys:
        ...     print(tuple(Y.shape))
        (1, 64, 32, 32)
        (1, 128, 16, 16)
        (1, 256, 8, 8)
        (1, 512, 4, 4)
        (1, 512, 1, 1)
        (1, 10)
    """
    modules = dict(model.named_modules())
    missing = [name for name in names if name not in modules]
    if missing:
        raise ValueError(f"the model has no modules named {missing}; see model.named_modules()")
    outputs: dict[str, Tensor] = {}
    handles = [
        modules[name].register_forward_hook(
            lambda module, args, out, name=name: outputs.__setitem__(name, out)
        )
        for name in names
    ]
    try:
        model(X)
    finally:
        for handle in handles:
            handle.remove()
    return [outputs[name] for name in names]


def encoder_upto(model: nn.Module, checkpoint: int) -> nn.Module:
    """The part of a CIFAR ``ResNet`` in front of ``checkpoint``, sharing the model's modules.

    It computes what the forward hook of ``checkpoints`` records at that checkpoint, without
    running the layers behind it: the stem and stages 1 to ``k`` for ``k <= 4``, the average
    pooling as well for 5, the whole network (the logits) for 6.

    Args:
        model: a ``ResNet`` such as ``resnet18_cifar()``.
        checkpoint: 1 to ``len(model.layers) + 2``.

    Returns:
        A module mapping images ``(N, 3, H, W)`` to the checkpoint's representation.

    Example:
        >>> import torch
        >>> from course_lib.models.resnet_cifar import resnet18_cifar
        >>> encoder_upto(resnet18_cifar(), 3)(torch.zeros(1, 3, 32, 32)).shape
        torch.Size([1, 256, 8, 8])
    """
    features = getattr(model, "features", None)
    stages = len(getattr(model, "layers", ()))
    if not isinstance(features, nn.Sequential) or not stages:
        raise TypeError(f"model must be a CIFAR ResNet (resnet18_cifar()), got {type(model)}")
    if isinstance(checkpoint, bool) or checkpoint not in range(1, stages + 3):
        raise ValueError(f"checkpoint must be 1 to {stages + 2}, got {checkpoint!r}")
    if checkpoint == stages + 2:
        return model
    return features[: checkpoint + 1]  # init_block, stage1 ... stage k (and final_pool)
