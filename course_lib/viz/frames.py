"""The steps of a convolution, pooling or transposed convolution, computed as plain data.

A convolution (or pooling) layer slides its window over the padded input: step ``t`` reads the
cells of one window and writes one output cell. A transposed convolution goes the other way: step
``t`` reads one input cell and adds a scaled copy of the kernel to a region of the output. The
drawings of ``course_lib.viz.draw`` only draw these frames; ``frame_output`` replays them on
numbers, and ``tests/test_viz_frames.py`` checks the replay against ``F.conv2d``,
``F.max_pool2d`` and ``F.conv_transpose2d``. The sizes come from ``course_lib.ops``
(``conv_output_size``, ``trans_conv_output_size``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from course_lib.ops import conv_output_size, trans_conv_output_size

KINDS = ("conv", "pool", "transposed")
Cell = tuple[int, int]  # (row, column)


@dataclass(frozen=True)
class Frame:
    """One step: the cells read and the cells written.

    Attributes:
        step: the step's index, 0, 1, ..., in row-major order of the cells written (conv, pool)
            or read (transposed).
        in_cells: conv/pool: the window, (row, column) in the padded input, in the row-major
            order of the kernel; transposed: the one input cell.
        out_cells: conv/pool: the one output cell; transposed: the cells of the full output
            (before ``padding`` rows and columns are cropped from each side) that receive
            ``X[in_cell] * K``, in the row-major order of the kernel.
    """

    step: int
    in_cells: tuple[Cell, ...]
    out_cells: tuple[Cell, ...]


@dataclass(frozen=True, repr=False)
class Frames(Sequence):
    """The frames of one layer, with its sizes; a sequence of ``Frame``.

    Attributes:
        kind: ``"conv"``, ``"pool"`` (max pooling) or ``"transposed"``.
        input_size, kernel_size, padding, stride, dilation: (h, w) pairs.
        output_size: (h, w) of the result, as PyTorch computes it.
        frames: one ``Frame`` per output cell (conv, pool) or per input cell (transposed).
    """

    kind: str
    input_size: Cell
    kernel_size: Cell
    padding: Cell
    stride: Cell
    dilation: Cell
    output_size: Cell
    frames: tuple[Frame, ...]

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index):
        return self.frames[index]

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames)

    def __repr__(self) -> str:
        sizes = ", ".join(
            f"{name}={getattr(self, name)}"
            for name in ("input_size", "kernel_size", "padding", "stride", "dilation")
        )
        return f"Frames({self.kind!r}, {sizes}, output_size={self.output_size}, {len(self)} frames)"

    @property
    def grid_size(self) -> Cell:
        """The (h, w) of the padded grid: the padded input (conv, pool) or the full output
        before cropping (transposed); the cells of ``Frame`` are in these coordinates."""
        (h, w), (p_h, p_w) = self.input_size, self.padding
        if self.kind == "transposed":
            h, w = self.output_size
        return h + 2 * p_h, w + 2 * p_w


def _pair(value) -> tuple:
    """(v, v) for an int v; a tuple or list as a tuple. ``course_lib.ops`` validates the values."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def conv_frames(
    input_size: int | Cell,
    kernel_size: int | Cell,
    padding: int | Cell = 0,
    stride: int | Cell = 1,
    dilation: int | Cell = 1,
    kind: str = "conv",
) -> Frames:
    """Compute the steps of a 2-D convolution, max pooling or transposed convolution.

    The sizes follow PyTorch (``nn.Conv2d``, ``nn.MaxPool2d``, ``nn.ConvTranspose2d``); when the
    stride does not divide the padded input, the last rows and columns are left out, as PyTorch
    does (``conv_output_size(..., strict=False)``).

    Args:
        input_size: (h, w) of the input, or an int for a square.
        kernel_size: (kh, kw) of the kernel or pooling window.
        padding: conv/pool: rows and columns added on each side of the input (at most half the
            window for pooling, as PyTorch requires); transposed: removed from each side of
            the output.
        stride: step between windows (conv, pool) or between copies of the kernel (transposed).
        dilation: spacing between the kernel's elements.
        kind: ``"conv"``, ``"pool"`` or ``"transposed"``.

    Returns:
        ``Frames``: one ``Frame`` per output cell (conv, pool) or per input cell (transposed).

    Raises:
        ValueError: for an unknown kind, or sizes that ``conv_output_size`` /
            ``trans_conv_output_size`` reject (a kernel larger than the padded input ...).

    Example:
        >>> frames = conv_frames(3, 2)  # d2l's 3x3 input and 2x2 kernel
        >>> frames
        Frames('conv', input_size=(3, 3), kernel_size=(2, 2), padding=(0, 0), stride=(1, 1), dilation=(1, 1), output_size=(2, 2), 4 frames)
        >>> frames[1]
        Frame(step=1, in_cells=((0, 1), (0, 2), (1, 1), (1, 2)), out_cells=((0, 1),))
        >>> conv_frames(2, 2, kind="transposed")[3].out_cells
        ((1, 1), (1, 2), (2, 1), (2, 2))
    """  # noqa: E501
    if kind not in KINDS:
        raise ValueError(f"conv_frames: kind must be one of {KINDS}, got {kind!r}")
    n, k, p, s, d = (_pair(v) for v in (input_size, kernel_size, padding, stride, dilation))
    if kind == "transposed":
        out = trans_conv_output_size(n, k, p, s, dilation=d)
    else:
        out = conv_output_size(n, k, p, s, d, strict=False)
    if kind == "pool" and (2 * p[0] > k[0] or 2 * p[1] > k[1]):
        raise ValueError(
            f"conv_frames: pooling padding {padding!r} must be at most half of the window "
            f"{kernel_size!r}, as PyTorch requires"
        )
    kernel = [(a * d[0], b * d[1]) for a in range(k[0]) for b in range(k[1])]  # offsets
    frames = []
    starts = n if kind == "transposed" else out  # the cells that move the kernel
    for i in range(starts[0]):
        for j in range(starts[1]):
            top, left = i * s[0], j * s[1]
            region = tuple((top + da, left + db) for da, db in kernel)
            here = ((i, j),)
            if kind == "transposed":
                frames.append(Frame(len(frames), here, region))
            else:
                frames.append(Frame(len(frames), region, here))
    return Frames(kind, n, k, p, s, d, out, tuple(frames))


def _as_grid(name: str, T, shape: Cell) -> Tensor:
    """T as a float64 tensor of the given (h, w) shape, or a TypeError/ValueError."""
    if not isinstance(T, Tensor):
        try:
            T = torch.as_tensor(T, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError) as error:
            msg = f"{name} must be a tensor or nested lists of numbers: {error}"
            raise TypeError(msg) from None
    if tuple(T.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(T.shape)}")
    return T.detach().to(torch.float64)


def replay(frames: Frames, X, K=None, steps: int | None = None) -> Tensor:
    """Run the first ``steps`` frames on numbers; cells not written yet are NaN (conv, pool).

    Args:
        frames: from ``conv_frames``.
        X: input of shape ``frames.input_size``.
        K: kernel of shape ``frames.kernel_size`` (not used for pooling).
        steps: how many frames to run; all when None.

    Returns:
        float64 tensor of shape ``frames.output_size`` (conv, pool) or ``frames.grid_size``
        (transposed: the full output, before cropping).

    Example:
        >>> replay(conv_frames(3, 2), torch.arange(9.0).reshape(3, 3), [[0, 1], [2, 3]], steps=3)
        tensor([[19., 25.],
                [37., nan]], dtype=torch.float64)
    """
    X = _as_grid("X", X, frames.input_size)
    if frames.kind != "pool":
        if K is None:
            raise ValueError(f"replay needs the kernel K for kind {frames.kind!r}")
        K = _as_grid("K", K, frames.kernel_size).flatten()  # in the order of the frames' cells
    steps = len(frames) if steps is None else steps
    if frames.kind == "transposed":
        Y = torch.zeros(frames.grid_size, dtype=torch.float64)
        for frame in frames[:steps]:
            (i, j), rows, cols = frame.in_cells[0], *zip(*frame.out_cells, strict=True)
            Y[rows, cols] += X[i, j] * K  # X[i, j] times a copy of the kernel
        return Y
    (p_h, p_w), fill = frames.padding, float("-inf") if frames.kind == "pool" else 0.0
    X = F.pad(X, (p_w, p_w, p_h, p_h), value=fill)  # PyTorch pads max pooling with -inf
    Y = torch.full(frames.output_size, float("nan"), dtype=torch.float64)
    for frame in frames[:steps]:
        window = X[tuple(zip(*frame.in_cells, strict=True))]  # in the kernel's order
        Y[frame.out_cells[0]] = window.max() if frames.kind == "pool" else (window * K).sum()
    return Y


def frame_output(frames: Frames, X, K=None) -> Tensor:
    """Run all the frames on numbers: the layer's output, as PyTorch computes it.

    Args:
        frames: from ``conv_frames``.
        X: input of shape ``frames.input_size``.
        K: kernel of shape ``frames.kernel_size`` (not used for pooling).

    Returns:
        float64 tensor of shape ``frames.output_size``, equal to ``F.conv2d``, ``F.max_pool2d``
        or ``F.conv_transpose2d`` with the same sizes.

    Example:
        >>> X = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
        >>> frame_output(conv_frames(2, 2, kind="transposed"), X, X)  # d2l's example
        tensor([[ 0.,  0.,  1.],
                [ 0.,  4.,  6.],
                [ 4., 12.,  9.]], dtype=torch.float64)
    """
    Y = replay(frames, X, K)
    if frames.kind == "transposed":
        (p_h, p_w), (h, w) = frames.padding, frames.output_size
        Y = Y[p_h : p_h + h, p_w : p_w + w]  # padding removes rows and columns of the output
    return Y
