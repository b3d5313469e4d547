"""Image grids: a batch of images titled with labels and predictions, and feature maps."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure


def _grid(n: int, ncols: int, tile: float) -> tuple[Figure, np.ndarray]:
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(tile * ncols, tile * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.reshape(-1)


def _name(index: int, classes: Sequence[str] | None) -> str:
    return classes[index] if classes is not None else str(index)


def plot_images(
    X: torch.Tensor,
    labels: Sequence[int] | torch.Tensor | None = None,
    predictions: Sequence[int] | torch.Tensor | None = None,
    classes: Sequence[str] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    ncols: int = 8,
    max_images: int = 32,
) -> tuple[Figure, np.ndarray]:
    """Show a batch of images in a grid, titled with their labels and/or predictions.

    Args:
        X: images ``(N, C, H, W)`` with ``C`` 1 or 3, or ``(N, H, W)``; floats in ``[0, 1]``
            (after un-normalising) or uint8.
        labels: true classes ``(N,)``.
        predictions: predicted classes ``(N,)``; a wrong one is titled in red with the truth.
        classes: class names, indexed by label.
        mean: the per-channel mean the images were normalised with; undone before showing.
        std: the per-channel standard deviation the images were normalised with.
        ncols: images per row.
        max_images: show at most this many (the first ones).

    Returns:
        ``(fig, axes)``, ``axes`` a flat array of the grid's ``Axes``.

    Example:
        >>> fig, axes = plot_images(torch.rand(3, 1, 8, 8), labels=[0, 1, 1], classes=["a", "b"])
        >>> [ax.get_title() for ax in axes]
        ['a', 'b', 'b']
    """
    X = torch.as_tensor(X).detach().cpu()
    if X.dim() == 3:
        X = X.unsqueeze(1)
    if X.dim() != 4 or X.shape[1] not in (1, 3):
        raise ValueError(
            f"images must be (N, C, H, W) with C 1 or 3, or (N, H, W); got {tuple(X.shape)}"
        )
    X = X[:max_images]
    X = X.float() / 255 if X.dtype == torch.uint8 else X.float()
    if (mean is None) != (std is None):
        raise ValueError("give both mean and std to un-normalise, or neither")
    if mean is not None:
        X = X * torch.tensor(std).view(1, -1, 1, 1) + torch.tensor(mean).view(1, -1, 1, 1)
    X = X.clamp(0, 1)
    fig, axes = _grid(len(X), ncols, tile=1.4)
    labels = None if labels is None else torch.as_tensor(labels).tolist()
    predictions = None if predictions is None else torch.as_tensor(predictions).tolist()
    for i, image in enumerate(X):
        ax = axes[i]
        if image.shape[0] == 1:
            ax.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
        else:
            ax.imshow(image.permute(1, 2, 0).numpy())
        title, color = "", "black"
        if predictions is not None:
            title = _name(predictions[i], classes)
            if labels is not None and predictions[i] != labels[i]:
                title, color = f"{title}\n(true: {_name(labels[i], classes)})", "red"
        elif labels is not None:
            title = _name(labels[i], classes)
        ax.set_title(title, color=color, fontsize=8)
    fig.tight_layout()
    return fig, axes[: len(X)]


def plot_predictions(
    model: torch.nn.Module,
    loader,
    classes: Sequence[str] | None = None,
    n: int = 16,
    **kwargs,
) -> tuple[Figure, np.ndarray]:
    """Show the first ``n`` images of a loader's first batch with the model's predictions.

    Args:
        model: a classifier, ``(N, C, H, W) -> (N, num_classes)``; run in evaluation mode on
            the device of its parameters.
        loader: yields ``(X, y)`` batches, ``X`` ``(N, C, H, W)``.
        classes: class names, indexed by label.
        n: how many images.
        **kwargs: passed on to :func:`plot_images` (``ncols``, ``mean``, ``std``).

    Returns:
        ``(fig, axes)`` as :func:`plot_images`; a wrong prediction is titled in red.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
        >>> batches = [(torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 0, 1]))]
        >>> fig, axes = plot_predictions(net, batches)
        >>> len(axes)
        4
    """
    X, y = next(iter(loader))
    X, y = X[:n], y[:n]
    with torch.no_grad():
        predictions = model.eval()(X.to(next(model.parameters()).device)).argmax(dim=1)
    return plot_images(X, labels=y, predictions=predictions, classes=classes, **kwargs)


def plot_feature_maps(
    feature_maps: torch.Tensor,
    max_channels: int = 32,
    ncols: int = 8,
    cmap: str = "viridis",
) -> tuple[Figure, np.ndarray]:
    """Show the channels of one layer's output for one image, one tile per channel.

    Each tile has its own colour scale, so weak and strong channels are both visible.

    Args:
        feature_maps: ``(C, H, W)``, or ``(1, C, H, W)`` for a batch of one image (for
            example an output captured with a forward hook).
        max_channels: show at most this many channels (the first ones).
        ncols: tiles per row.
        cmap: a matplotlib colour map.

    Returns:
        ``(fig, axes)``, ``axes`` a flat array with one ``Axes`` per channel shown, titled
        with the channel's index.

    Example:
        >>> fig, axes = plot_feature_maps(torch.rand(1, 6, 5, 5), ncols=3)
        >>> len(axes), axes[-1].get_title()
        (6, '5')
    """
    maps = torch.as_tensor(feature_maps).detach().float().cpu()
    if maps.dim() == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.dim() != 3:
        raise ValueError(f"feature maps must be (C, H, W) or (1, C, H, W), got {tuple(maps.shape)}")
    maps = maps[:max_channels]
    fig, axes = _grid(len(maps), ncols, tile=1.2)
    for channel, (ax, image) in enumerate(zip(axes, maps, strict=False)):
        ax.imshow(image.numpy(), cmap=cmap)
        ax.set_title(str(channel), fontsize=8)
    fig.tight_layout()
    return fig, axes[: len(maps)]
