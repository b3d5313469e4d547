"""The receptive field of one unit of a stack of layers, computed two ways, and its picture.

1. Autograd: the input pixels the unit depends on are those where the gradient of the unit
   with respect to the input is nonzero. ReLU and max pooling let the gradient through only
   where they are active, so the gradient is taken through a copy of the stack with the same
   geometry in which every path counts: convolutions average their window (all weights
   1 / fan-in), max pooling becomes average pooling, pointwise layers (activations, batch
   normalisation, dropout) become identities. The gradient's values then count the paths from
   each pixel to the unit, the pattern of Luo et al. (2016), https://arxiv.org/abs/1701.04128.
2. The recurrence over the layers (Dumoulin and Visin, https://arxiv.org/abs/1603.07285):
   with r_0 = 1 and j_0 = 1, a layer of kernel k, stride s, padding p, dilation d gives
   r = r + d(k - 1) j and j = j s, and shifts the first pixel seen by -p j. Unit i then sees
   the pixels i j_L - P to i j_L - P + r_L - 1 of each axis, P the sum of the shifts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, PowerNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from torch import Tensor, nn

# Layers that act on each pixel on its own: they do not change the receptive field.
POINTWISE = (
    nn.Identity, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Softplus, nn.BatchNorm2d, nn.Dropout,
    nn.Dropout2d, nn.LocalResponseNorm,
)  # fmt: skip
WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


@dataclass(frozen=True)
class ReceptiveField:
    """The input region seen by one output unit of a stack of layers.

    Attributes:
        unit: the (channel, row, column) of the output unit.
        input_shape: (C, H, W) of the input; output_shape: (C', H', W') of the output.
        grad: (H, W) float64, the gradient of the unit with respect to the input (summed over
            the input channels) through the all-paths copy of the stack: the number of paths
            from each pixel, relative.
        mask: (H, W) bool, ``grad != 0``: the pixels the unit depends on.
        size: (r_h, r_w) from the recurrence; jump: (j_h, j_w), the input pixels between
            neighbouring units.
        region: (top, left, bottom, right), half-open, the pixels the recurrence gives; it may
            reach into the padding (negative, or past H, W).
    """

    unit: tuple[int, int, int]
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, int, int]
    grad: Tensor
    mask: Tensor
    size: tuple[int, int]
    jump: tuple[int, int]
    region: tuple[int, int, int, int]

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """The recurrence's region clipped to the input: (top, left, bottom, right), half-open."""
        (_, h, w), (top, left, bottom, right) = self.input_shape, self.region
        return max(top, 0), max(left, 0), min(bottom, h), min(right, w)

    @property
    def mask_bounds(self) -> tuple[int, int, int, int]:
        """The smallest box around ``mask``: (top, left, bottom, right), half-open."""
        rows, cols = self.mask.any(1).nonzero()[:, 0], self.mask.any(0).nonzero()[:, 0]
        return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _geometry(layer: nn.Module) -> tuple[tuple[int, int], ...]:
    """(kernel, stride, padding, dilation) pairs of a conv or pooling layer."""
    k, s = _pair(layer.kernel_size), _pair(layer.stride or layer.kernel_size)
    d = _pair(getattr(layer, "dilation", 1))
    p = layer.padding
    if p == "valid":
        p = 0
    elif p == "same":  # PyTorch puts the odd one of d(k - 1) padding cells at the end
        p = tuple(di * (ki - 1) // 2 for ki, di in zip(k, d, strict=True))
    return k, s, _pair(p), d


def _check_layers(model: nn.Module) -> list[nn.Module]:
    """The conv and pooling layers of model in order; a TypeError for a layer of another kind."""
    layers = []
    for name, layer in model.named_modules():
        if isinstance(layer, WINDOWED):
            layers.append(layer)
        elif not isinstance(layer, POINTWISE) and not list(layer.children()):
            raise TypeError(
                f"receptive_field: layer {name or 'model'} ({type(layer).__name__}) is neither a "
                f"conv, pooling nor pointwise layer; pass the convolutional part of the network, "
                f"e.g. model[:5] for LeNet or model[:2] for the first two blocks of VGG"
            )
    return layers


class _AveragePool(nn.Module):
    """The window of a max pooling layer, averaged, so that every pixel of it gets gradient."""

    def __init__(self, pool: nn.MaxPool2d):
        super().__init__()
        self.k, self.s, self.p, self.d = _geometry(pool)
        self.ceil_mode = pool.ceil_mode

    def forward(self, x: Tensor) -> Tensor:  # (N, C, H, W) -> (N, C, H', W')
        if self.d == (1, 1):
            return F.avg_pool2d(x, self.k, self.s, self.p, ceil_mode=self.ceil_mode)
        c = x.shape[1]
        weight = x.new_full((c, 1, *self.k), 1.0 / (self.k[0] * self.k[1]))
        return F.conv2d(x, weight, None, self.s, self.p, self.d, groups=c)


def _all_paths_copy(module: nn.Module) -> nn.Module:
    """A float64 copy in which every path from input to output has a positive weight."""
    module = copy.deepcopy(module).to(torch.float64).eval()
    if not list(module.children()):
        module = nn.Sequential(module)
    for parent in list(module.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.Conv2d):
                fan_in = child.weight[0].numel()
                with torch.no_grad():
                    child.weight.fill_(1.0 / fan_in)
                    if child.bias is not None:
                        child.bias.zero_()
            elif isinstance(child, nn.MaxPool2d):
                setattr(parent, name, _AveragePool(child))
            elif isinstance(child, POINTWISE):
                setattr(parent, name, nn.Identity())
    return module


def receptive_field(
    model: nn.Module, input_shape: tuple[int, int, int], unit: tuple[int, int, int] | None = None
) -> ReceptiveField:
    """Find the input pixels one output unit of a stack of conv and pooling layers depends on.

    Computed from the layers, by autograd and by the recurrence (see the module's docstring);
    for a plain stack the box around the autograd mask is the recurrence's region clipped to
    the input (the mask itself can have holes, with a stride larger than the kernel or with
    dilation).

    Args:
        model: the layers, e.g. ``lenet()[:5]`` or ``vgg11()[:2]``: ``nn.Conv2d``,
            ``nn.MaxPool2d``, ``nn.AvgPool2d`` and pointwise layers (activations, batch
            normalisation, dropout), in an ``nn.Sequential`` (nested ones too). It is not changed.
        input_shape: (C, H, W) of one input.
        unit: (channel, row, column) of the output unit; None for the centre of channel 0.

    Returns:
        ``ReceptiveField`` with the autograd ``grad`` and ``mask`` (H, W), and the recurrence's
        ``size``, ``jump``, ``region`` and ``bounds``.

    Example:
        >>> stack = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
        >>> rf = receptive_field(stack, (1, 12, 12), unit=(0, 2, 3))
        >>> rf.size, rf.jump, rf.bounds
        ((6, 6), (2, 2), (4, 6, 10, 12))
        >>> rf.mask_bounds == rf.bounds
        True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"receptive_field expects an nn.Module, got {type(model).__name__}")
    if len(input_shape) != 3 or not all(type(n) is int and n > 0 for n in input_shape):
        raise ValueError(f"receptive_field: input_shape must be (C, H, W), got {input_shape!r}")
    layers = _check_layers(model)
    x = torch.ones(1, *input_shape, dtype=torch.float64, requires_grad=True)
    y = _all_paths_copy(model)(x)  # (1, C', H', W')
    if y.dim() != 4:
        raise ValueError(f"receptive_field: the model must output (N, C, H, W), got {y.shape}")
    output_shape = tuple(y.shape[1:])
    if unit is None:
        unit = (0, output_shape[1] // 2, output_shape[2] // 2)
    if len(unit) != 3 or not all(0 <= u < n for u, n in zip(unit, output_shape, strict=True)):
        raise ValueError(f"receptive_field: unit {unit!r} is not in the output {output_shape}")
    y[(0, *unit)].backward()
    grad = x.grad[0].sum(0)  # (H, W), summed over the input channels
    size, jump, start = [1, 1], [1, 1], [0, 0]  # per axis: r, j, first pixel seen by unit 0
    for layer in layers:
        for axis, (k, s, p, d) in enumerate(zip(*_geometry(layer), strict=True)):
            start[axis] -= p * jump[axis]
            size[axis] += d * (k - 1) * jump[axis]
            jump[axis] *= s
    top, left = (start[a] + unit[1 + a] * jump[a] for a in (0, 1))
    region = (top, left, top + size[0], left + size[1])
    return ReceptiveField(tuple(unit), tuple(input_shape), output_shape, grad.detach(),
                          grad != 0, tuple(size), tuple(jump), region)  # fmt: skip


def draw_receptive_field(rf: ReceptiveField, image: Tensor | None = None) -> tuple[Figure, Axes]:
    """Draw the input pixels one unit sees: the autograd mask, shaded by the number of paths,
    and the recurrence's region as a dashed box (which can reach into the padding).

    Args:
        rf: from ``receptive_field``.
        image: optional input of shape (H, W) or (C, H, W), drawn in grey underneath.

    Returns:
        (fig, ax) with the input's rows and columns on the axes.

    Example:
        >>> stack = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2))
        >>> fig, ax = draw_receptive_field(receptive_field(stack, (1, 8, 8), unit=(0, 0, 0)))
        >>> ax.get_xlabel()
        'input column'
        >>> plt.close(fig)
    """
    _, h, w = rf.input_shape
    top, left, bottom, right = rf.region
    fig, ax = plt.subplots(figsize=(5.2, 4.6), constrained_layout=True)
    if image is not None:
        image = torch.as_tensor(image).detach().to(torch.float64).cpu()
        image = image.mean(0) if image.dim() == 3 else image
        if tuple(image.shape) != (h, w):
            raise ValueError(f"image must be (H, W) = {(h, w)}, got {tuple(image.shape)}")
        ax.imshow(image.numpy(), cmap="gray", extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    else:
        ax.add_patch(Rectangle((-0.5, -0.5), w, h, facecolor="#f2f2f2", zorder=-1))
    paths = np.ma.masked_equal((rf.grad / rf.grad.max()).numpy(), 0.0)
    oranges = ListedColormap(plt.get_cmap("Oranges")(np.linspace(0.2, 1.0, 256)))  # no white
    shown = ax.imshow(paths, cmap=oranges, norm=PowerNorm(0.5, vmin=0, vmax=1),
                      alpha=0.7 if image is not None else 1.0,
                      extent=(-0.5, w - 0.5, h - 0.5, -0.5))  # fmt: skip
    fig.colorbar(shown, ax=ax, shrink=0.8, label="paths to the unit (relative)")
    box = Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,
                    edgecolor="tab:blue", linewidth=2, linestyle="--", zorder=3)  # fmt: skip
    ax.add_patch(box)
    ax.set_xlim(min(left, 0) - 1, max(right, w))  # room for a region that reaches the padding
    ax.set_ylim(max(bottom, h), min(top, 0) - 1)  # row 0 on top
    if max(h, w) <= 32:  # pixel borders
        ax.set_xticks(np.arange(-0.5, w), minor=True)
        ax.set_yticks(np.arange(-0.5, h), minor=True)
        ax.grid(which="minor", color="white", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    ax.set_xlabel("input column")
    ax.set_ylabel("input row")
    c, i, j = rf.unit
    padding = "\n(the part outside the input is padding)" if rf.bounds != rf.region else ""
    fig.legend(
        handles=[
            Patch(facecolor="tab:orange", label=f"nonzero gradient of unit {(c, i, j)}"),
            Patch(fill=False, edgecolor="tab:blue", linestyle="--",
                  label=f"recurrence: {rf.size[0]}x{rf.size[1]}, rows {top} to {bottom - 1}, "
                        f"columns {left} to {right - 1}{padding}"),
        ],
        loc="outside lower center", fontsize=9, frameon=False,
    )  # fmt: skip
    return fig, ax
