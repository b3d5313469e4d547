"""The teaching operators: cross-correlation, pooling and transposed convolution from scratch.

Each operator is written with explicit loops, the way the chapters derive it, and is checked
against PyTorch's own operator in ``tests/test_ops.py``. ``conv_output_size`` and
``trans_conv_output_size`` do the size arithmetic of ``nn.Conv2d``, the pooling layers and
``nn.ConvTranspose2d``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _check(fn: str, name: str, T: Tensor, layout: str, hint: str = "") -> None:
    """Raise unless T is a floating-point tensor with as many dimensions as layout, "(H, W)"."""
    if not isinstance(T, Tensor):
        raise TypeError(f"{fn} expects {name} to be a torch.Tensor, got {type(T).__name__}")
    if not T.is_floating_point():
        raise TypeError(f"{fn} expects a floating-point {name}, got {T.dtype}; use {name}.float()")
    ndim = layout.count(",") + 1
    if T.dim() != ndim:
        what = "input" if name == "X" else "kernel"
        msg = f"{fn} expects a {ndim}-D {what} {name} of shape {layout}, got shape {tuple(T.shape)}"
        raise ValueError(msg + hint)


def _check_kernel(fn: str, X: Tensor, K: Tensor, c_x: int | None = None, c_k: int | None = None):
    """Raise unless K's channels (if given) match X's and its (kh, kw) window fits in X."""
    if c_x != c_k:
        raise ValueError(f"{fn}: X has {c_x} input channels but K has {c_k}; they must match")
    (h, w), (kh, kw) = X.shape[-2:], K.shape[-2:]
    if min(kh, kw) < 1 or kh > h or kw > w:
        msg = f"{fn}: the kernel ({kh}, {kw}) must be non-empty and fit in the input ({h}, {w})"
        raise ValueError(msg + "; pad the input or use a smaller kernel")


def corr2d(X: Tensor, K: Tensor) -> Tensor:
    """Compute the 2-D cross-correlation of X with the kernel K (no padding, stride 1).

    Args:
        X: input of shape (H, W).
        K: kernel of shape (kh, kw), no larger than X.

    Returns:
        Tensor of shape (H - kh + 1, W - kw + 1), the dtype of X.

    Example:
        >>> corr2d(torch.arange(9.0).reshape(3, 3), torch.arange(4.0).reshape(2, 2))
        tensor([[19., 25.],
                [37., 43.]])
    """
    _check("corr2d", "X", X, "(H, W)", "; for channels use corr2d_multi_in")
    _check("corr2d", "K", K, "(kh, kw)", "; for channels use corr2d_multi_in")
    _check_kernel("corr2d", X, K)
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=X.dtype, device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def corr2d_multi_in(X: Tensor, K: Tensor) -> Tensor:
    """Cross-correlate each input channel with its own kernel and sum over the channels.

    Args:
        X: input of shape (C_in, H, W).
        K: kernel of shape (C_in, kh, kw).

    Returns:
        Tensor of shape (H - kh + 1, W - kw + 1).

    Example:
        >>> corr2d_multi_in(torch.ones(2, 3, 3), torch.ones(2, 2, 2))
        tensor([[8., 8.],
                [8., 8.]])
    """
    _check("corr2d_multi_in", "X", X, "(C_in, H, W)", "; for one channel use corr2d")
    _check("corr2d_multi_in", "K", K, "(C_in, kh, kw)", "; for C_out use corr2d_multi_in_out")
    _check_kernel("corr2d_multi_in", X, K, X.shape[0], K.shape[0])
    return sum(corr2d(x, k) for x, k in zip(X, K, strict=True))


def corr2d_multi_in_out(X: Tensor, K: Tensor) -> Tensor:
    """Compute one output channel per kernel K[o], each summing over all input channels.

    Args:
        X: input of shape (C_in, H, W).
        K: kernel of shape (C_out, C_in, kh, kw).

    Returns:
        Tensor of shape (C_out, H - kh + 1, W - kw + 1).

    Example:
        >>> corr2d_multi_in_out(torch.ones(2, 3, 3), torch.ones(3, 2, 2, 2)).shape
        torch.Size([3, 2, 2])
    """
    _check("corr2d_multi_in_out", "X", X, "(C_in, H, W)")
    _check("corr2d_multi_in_out", "K", K, "(C_out, C_in, kh, kw)")
    _check_kernel("corr2d_multi_in_out", X, K, X.shape[0], K.shape[1])
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X: Tensor, K: Tensor) -> Tensor:
    """Compute a 1x1 convolution as one matrix product over the channels.

    Args:
        X: input of shape (C_in, H, W).
        K: kernel of shape (C_out, C_in, 1, 1).

    Returns:
        Tensor of shape (C_out, H, W), equal to ``corr2d_multi_in_out(X, K)``.

    Example:
        >>> corr2d_multi_in_out_1x1(torch.ones(2, 1, 2), torch.ones(1, 2, 1, 1))
        tensor([[[2., 2.]]])
    """
    fn = "corr2d_multi_in_out_1x1"
    _check(fn, "X", X, "(C_in, H, W)")
    _check(fn, "K", K, "(C_out, C_in, 1, 1)")
    _check_kernel(fn, X, K, X.shape[0], K.shape[1])
    if K.shape[2:] != (1, 1):
        raise ValueError(
            f"{fn} needs a 1x1 kernel, got {tuple(K.shape[2:])}; see corr2d_multi_in_out"
        )
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = K.reshape(c_o, c_i).to(X.dtype) @ X.reshape(c_i, h * w)  # (C_out, C_in) @ (C_in, H*W)
    return Y.reshape(c_o, h, w)


def _sizes(fn: str, **args) -> tuple[bool, list[tuple[int, ...]]]:
    """Check int-or-(h, w) size arguments; return whether all were ints, and the h and w values."""
    pairs = []
    for name, value in args.items():
        pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
        if len(pair) != 2 or not all(type(v) is int for v in pair):
            raise ValueError(
                f"{fn}: {name} must be an int or an (h, w) pair of ints, got {value!r}"
            )
        low = 0 if "padding" in name else 1
        if min(pair) < low:
            raise ValueError(f"{fn}: {name} must be at least {low}, got {value!r}")
        pairs.append(pair)
    scalar = not any(isinstance(value, (tuple, list)) for value in args.values())
    return scalar, [tuple(pair[d] for pair in pairs) for d in (0, 1)]


def pool2d(
    X: Tensor,
    pool_size: int | tuple[int, int],
    mode: str = "max",
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
) -> Tensor:
    """Max- or average-pool X, each channel on its own.

    The stride defaults to 1 here, whereas ``nn.MaxPool2d`` / ``nn.AvgPool2d`` default it to the
    window size. Padding works as in PyTorch: max pooling pads with -inf, so it never picks the
    padding; average pooling pads with zeros and counts them (``count_include_pad=True``).

    Args:
        X: input of shape (H, W) or (C, H, W).
        pool_size: window size, an int or an (h, w) pair.
        mode: ``"max"`` or ``"avg"``.
        padding: rows/columns added on each side, at most half the window (as PyTorch requires).
        stride: step between windows, an int or an (h, w) pair.

    Returns:
        Tensor of shape (H', W') or (C, H', W'), sizes as ``conv_output_size(..., strict=False)``.

    Example:
        >>> pool2d(torch.arange(9.0).reshape(3, 3), (2, 2))
        tensor([[4., 5.],
                [7., 8.]])
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"pool2d mode must be 'max' or 'avg', got {mode!r}")
    layout = "(C, H, W)" if isinstance(X, Tensor) and X.dim() == 3 else "(H, W)"
    _check("pool2d", "X", X, layout, "; pool2d takes (H, W) or, for channels, (C, H, W)")
    _, ((p_h, pad_h, s_h), (p_w, pad_w, s_w)) = _sizes(
        "pool2d", pool_size=pool_size, padding=padding, stride=stride
    )
    if 2 * pad_h > p_h or 2 * pad_w > p_w:
        raise ValueError(
            f"pool2d: padding {padding!r} must be at most half of pool_size {pool_size!r}"
        )
    if X.dim() == 3:
        return torch.stack([pool2d(x, pool_size, mode, padding, stride) for x in X])
    fill = float("-inf") if mode == "max" else 0.0
    X = F.pad(X, (pad_w, pad_w, pad_h, pad_h), value=fill)
    if p_h > X.shape[0] or p_w > X.shape[1]:
        raise ValueError(
            f"pool2d: the window ({p_h}, {p_w}) must fit in the padded input {tuple(X.shape)}"
        )
    Y = torch.zeros(
        ((X.shape[0] - p_h) // s_h + 1, (X.shape[1] - p_w) // s_w + 1),
        dtype=X.dtype,
        device=X.device,
    )
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i * s_h : i * s_h + p_h, j * s_w : j * s_w + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


def trans_conv(X: Tensor, K: Tensor, stride: int = 1, padding: int = 0) -> Tensor:
    """Compute the transposed convolution of X with K: each input element adds a scaled copy of K.

    Y starts as zeros of shape (s(h - 1) + kh, s(w - 1) + kw); each X[i, j] adds X[i, j] * K to
    Y[s*i : s*i + kh, s*j : s*j + kw]; padding p then removes the p outermost rows and columns
    on each side, as ``nn.ConvTranspose2d`` does.

    Args:
        X: input of shape (h, w).
        K: kernel of shape (kh, kw).
        stride: step s >= 1 between the copies of K.
        padding: rows/columns p >= 0 removed from each side of the result.

    Returns:
        Tensor of shape (s(h - 1) + kh - 2p, s(w - 1) + kw - 2p).

    Example:
        >>> X = K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
        >>> trans_conv(X, K)
        tensor([[ 0.,  0.,  1.],
                [ 0.,  4.,  6.],
                [ 4., 12.,  9.]])
    """
    _check("trans_conv", "X", X, "(h, w)")
    _check("trans_conv", "K", K, "(kh, kw)")
    _sizes("trans_conv", stride=stride, padding=padding)
    if type(stride) is not int or type(padding) is not int:
        raise ValueError(
            f"trans_conv: stride and padding must be ints, got {stride!r}, {padding!r}"
        )
    (h, w), (kh, kw) = X.shape, K.shape
    if min(h, w, kh, kw) < 1:
        raise ValueError(f"trans_conv needs a non-empty X and K, got {(h, w)} and {(kh, kw)}")
    Y = torch.zeros((stride * (h - 1) + kh, stride * (w - 1) + kw), dtype=X.dtype, device=X.device)
    if 2 * padding >= min(Y.shape):
        raise ValueError(
            f"trans_conv: padding {padding} would leave nothing of the {tuple(Y.shape)} result; "
            f"use padding at most {(min(Y.shape) - 1) // 2}"
        )
    for i in range(h):
        for j in range(w):
            Y[stride * i : stride * i + kh, stride * j : stride * j + kw] += X[i, j] * K
    return Y[padding : Y.shape[0] - padding, padding : Y.shape[1] - padding]


def conv_output_size(
    input_size, kernel_size, padding=0, stride=1, dilation=1, *, strict: bool = True
) -> int | tuple[int, int]:
    """Return the output size of a convolution or pooling layer, floor((n+2p-d(k-1)-1)/s) + 1.

    Args:
        input_size: n, an int or an (h, w) pair; likewise the other sizes.
        kernel_size: k, the window size.
        padding: p, rows/columns added on each side.
        stride: s, step between windows.
        dilation: d, spacing between kernel elements.
        strict: if True, raise ValueError when s does not divide n + 2p - d(k-1) - 1, i.e. when
            ``nn.Conv2d`` would silently ignore the last rows/columns; if False, floor as PyTorch.

    Returns:
        An int if every argument is an int, else an (h, w) tuple.

    Example:
        >>> conv_output_size(8, 3, padding=1)
        8
        >>> conv_output_size((8, 8), (3, 5), padding=(0, 1), stride=(3, 4), strict=False)
        (2, 2)
    """
    scalar, dims = _sizes(
        "conv_output_size", input_size=input_size, kernel_size=kernel_size, padding=padding,
        stride=stride, dilation=dilation,
    )  # fmt: skip
    sizes = []
    for lines, (n, k, p, s, d) in zip(("rows", "columns"), dims, strict=True):
        lines = "rows/columns" if scalar else lines
        span = n + 2 * p - d * (k - 1) - 1
        if span < 0:
            raise ValueError(
                f"conv_output_size: the kernel spans {d * (k - 1) + 1} {lines} (size {k}, "
                f"dilation {d}), more than the padded input's {n + 2 * p}; use a smaller kernel "
                f"or more padding"
            )
        out, r = divmod(span, s)
        if r and strict:
            raise ValueError(
                f"conv_output_size: stride {s} does not divide n + 2p - d(k-1) - 1 = {span}: "
                f"nn.Conv2d would floor to {out + 1} and ignore the last {r} {lines} of the "
                f"padded input; change the padding or stride, or pass strict=False to floor "
                f"as PyTorch does"
            )
        sizes.append(out + 1)
    return sizes[0] if scalar else tuple(sizes)


def trans_conv_output_size(
    input_size, kernel_size, padding=0, stride=1, output_padding=0, dilation=1
) -> int | tuple[int, int]:
    """Return the output size of a transposed convolution, (n-1)s - 2p + d(k-1) + op + 1.

    Args:
        input_size: n, an int or an (h, w) pair; likewise the other sizes.
        kernel_size: k, the kernel size.
        padding: p, rows/columns removed from each side of the result.
        stride: s, step between the copies of the kernel.
        output_padding: op, rows/columns added on one side; smaller than the stride or dilation.
        dilation: d, spacing between kernel elements.

    Returns:
        An int if every argument is an int, else an (h, w) tuple, as ``nn.ConvTranspose2d`` gives.

    Example:
        >>> trans_conv_output_size(2, 2), trans_conv_output_size((4, 4), 4, padding=1, stride=2)
        (3, (8, 8))
    """
    scalar, dims = _sizes(
        "trans_conv_output_size", input_size=input_size, kernel_size=kernel_size,
        padding=padding, stride=stride, output_padding=output_padding, dilation=dilation,
    )  # fmt: skip
    sizes = []
    for n, k, p, s, op, d in dims:
        if op >= max(s, d):
            raise ValueError(
                f"trans_conv_output_size: output_padding {output_padding!r} must be smaller "
                f"than the stride {s} or the dilation {d}, as PyTorch requires"
            )
        size = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        if size < 1:
            raise ValueError(
                f"trans_conv_output_size: padding {padding!r} leaves an output of size {size}; "
                f"use less padding"
            )
        sizes.append(size)
    return sizes[0] if scalar else tuple(sizes)
