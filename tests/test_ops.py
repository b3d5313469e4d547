import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.ops import (
    conv_output_size,
    corr2d,
    corr2d_multi_in,
    corr2d_multi_in_out,
    corr2d_multi_in_out_1x1,
    pool2d,
    trans_conv,
    trans_conv_output_size,
)


def randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# --- the fixed examples of the chapters -------------------------------------------------------


def test_corr2d_d2l_example():
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.arange(4.0).reshape(2, 2)
    assert torch.equal(corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


def test_pool2d_d2l_examples_default_stride_is_one():
    X = torch.arange(9.0).reshape(3, 3)
    assert torch.equal(pool2d(X, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert torch.equal(pool2d(X, (2, 2), "avg"), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))


def test_sobel_true_convolution_by_hand():
    X = torch.tensor([[1, 0, 2, 3, 1], [3, 2, 0, 7, 0], [0, 6, 1, 1, 4]], dtype=torch.float32)
    K = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float32)
    Y = corr2d(F.pad(X, (1, 1, 1, 1)), K.flip(0, 1))
    expected = [[-2, 1, -11, 2, 13], [-10, 4, -8, -2, 18], [-14, 1, 5, -6, 9]]
    assert torch.equal(Y, torch.tensor(expected, dtype=torch.float32))
    # Cross-correlation with the unflipped kernel gives the opposite sign for this kernel.
    assert torch.equal(corr2d(F.pad(X, (1, 1, 1, 1)), K), -Y)


def test_trans_conv_d2l_example():
    X = K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert torch.equal(trans_conv(X, K), torch.tensor([[0.0, 0, 1], [0, 4, 6], [4, 12, 9]]))


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((8, 3), {"padding": 1}, 8),
        (((8, 8), (5, 3)), {"padding": (2, 1)}, (8, 8)),
        ((8, 3), {"padding": 1, "stride": 2, "strict": False}, 4),
        (((8, 8), (3, 5)), {"padding": (0, 1), "stride": (3, 4), "strict": False}, (2, 2)),
        ((512, 9), {}, 504),
        ((512, 2), {"stride": 2}, 256),
        ((256, 3), {}, 254),
        ((32, 5), {"padding": 2}, 32),
        ((7, 3), {"dilation": 2}, 3),
    ],
)
def test_conv_output_size_examples(args, kwargs, expected):
    assert conv_output_size(*args, **kwargs) == expected


def test_conv_output_size_strict_explains_the_floor():
    with pytest.raises(ValueError, match=r"floor to 4 and ignore the last 1 rows/columns.*strict"):
        conv_output_size(8, 3, padding=1, stride=2)
    with pytest.raises(ValueError, match=r"floor to 2 and ignore the last 1 columns"):
        conv_output_size((9, 8), (3, 5), padding=(0, 1), stride=(3, 4))


def test_dtype_follows_x():
    X, K = randn(4, 5, dtype=torch.float64), randn(2, 2, seed=1)
    assert corr2d(X, K).dtype == torch.float64
    assert trans_conv(X, K).dtype == torch.float64
    assert pool2d(X, 2).dtype == torch.float64
    assert corr2d_multi_in_out_1x1(X[None], K[None, None, :1, :1]).dtype == torch.float64


# --- every op against PyTorch's own operator --------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, k_shape", [((3, 3), (2, 2)), ((6, 8), (3, 3)), ((5, 7), (1, 4)), ((4, 4), (4, 4))]
)
def test_corr2d_matches_conv2d(x_shape, k_shape):
    X, K = randn(*x_shape), randn(*k_shape, seed=1)
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]
    torch.testing.assert_close(corr2d(X, K), expected)


def test_corr2d_gradient_matches_conv2d():
    X, K = randn(5, 6), randn(2, 3, seed=1)
    K1, K2 = K.clone().requires_grad_(), K.clone().requires_grad_()
    (corr2d(X, K1) ** 2).sum().backward()
    (F.conv2d(X[None, None], K2[None, None]) ** 2).sum().backward()
    torch.testing.assert_close(K1.grad, K2.grad)


@pytest.mark.parametrize(
    "c_in, c_out, hw, k", [(1, 1, (4, 4), (2, 2)), (3, 2, (5, 6), (3, 3)), (2, 4, (6, 5), (1, 2))]
)
def test_multi_channel_ops_match_conv2d(c_in, c_out, hw, k):
    X, K = randn(c_in, *hw), randn(c_out, c_in, *k, seed=1)
    expected = F.conv2d(X[None], K)[0]
    torch.testing.assert_close(corr2d_multi_in_out(X, K), expected)
    torch.testing.assert_close(corr2d_multi_in(X, K[0]), expected[0])


@pytest.mark.parametrize("c_in, c_out, hw", [(1, 1, (3, 3)), (3, 2, (3, 3)), (4, 5, (2, 6))])
def test_1x1_matches_multi_in_out_and_conv2d(c_in, c_out, hw):
    X, K = randn(c_in, *hw), randn(c_out, c_in, 1, 1, seed=1)
    Y = corr2d_multi_in_out_1x1(X, K)
    assert Y.shape == (c_out, *hw)
    torch.testing.assert_close(Y, corr2d_multi_in_out(X, K))
    torch.testing.assert_close(Y, F.conv2d(X[None], K)[0])


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize(
    "shape, pool_size, padding, stride",
    [
        ((4, 4), 2, 0, 2),
        ((5, 7), (2, 3), 0, 1),
        ((5, 5), 3, 1, 2),
        ((3, 6, 7), (3, 2), (1, 0), (2, 3)),
        ((2, 4, 4), 4, 2, 1),
        ((1, 1), 1, 0, 1),
    ],
)
def test_pool2d_matches_torch(mode, shape, pool_size, padding, stride):
    X = randn(*shape)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = pool(X[None] if X.dim() == 2 else X, pool_size, stride, padding)
    expected = expected[0] if X.dim() == 2 else expected
    torch.testing.assert_close(pool2d(X, pool_size, mode, padding, stride), expected)


def test_pool2d_max_never_picks_padding():
    X = -torch.ones(2, 2)
    assert torch.equal(pool2d(X, 2, padding=1, stride=2), -torch.ones(2, 2))
    assert torch.equal(pool2d(X, 2, "avg", padding=1, stride=2), torch.full((2, 2), -0.25))


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize(
    "x_shape, k_shape, padding",
    [
        ((2, 2), (2, 2), 0),
        ((3, 4), (3, 3), 1),
        ((4, 3), (2, 4), 0),
        ((3, 3), (4, 4), 2),
        ((1, 1), (3, 2), 0),
    ],
)
def test_trans_conv_matches_conv_transpose2d(x_shape, k_shape, stride, padding):
    X, K = randn(*x_shape), randn(*k_shape, seed=1)
    expected = F.conv_transpose2d(X[None, None], K[None, None], stride=stride, padding=padding)
    torch.testing.assert_close(trans_conv(X, K, stride, padding), expected[0, 0])


def test_trans_conv_gradient_matches_conv_transpose2d():
    X, K = randn(3, 2), randn(3, 3, seed=1)
    K1, K2 = K.clone().requires_grad_(), K.clone().requires_grad_()
    (trans_conv(X, K1, 2, 1) ** 2).sum().backward()
    (F.conv_transpose2d(X[None, None], K2[None, None], stride=2, padding=1) ** 2).sum().backward()
    torch.testing.assert_close(K1.grad, K2.grad)


@pytest.mark.parametrize(
    "n, k, p, s, d",
    [
        (8, 3, 1, 1, 1),
        (8, 3, 1, 2, 1),
        ((8, 8), (3, 5), (0, 1), (3, 4), 1),
        ((9, 12), (5, 3), (2, 1), (2, 3), (1, 2)),
        (7, 3, 0, 2, 2),
        (5, 5, 0, 4, 1),
        (1, 1, 0, 1, 1),
    ],
)
def test_conv_output_size_matches_conv2d_and_pool(n, k, p, s, d):
    hw = n if isinstance(n, tuple) else (n, n)
    X = torch.zeros(1, 1, *hw)
    size = conv_output_size(n, k, p, s, d, strict=False)
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    expected = tuple(conv(X).shape[2:])
    assert (size if isinstance(size, tuple) else (size, size)) == expected
    assert isinstance(size, tuple) == any(isinstance(a, tuple) for a in (n, k, p, s, d))
    pool_size = k if isinstance(k, tuple) else (k, k)
    pad = p if isinstance(p, tuple) else (p, p)
    if all(2 * a <= b for a, b in zip(pad, pool_size, strict=True)):  # PyTorch's pooling limit
        assert tuple(nn.MaxPool2d(k, s, p, d)(X).shape[2:]) == expected


@pytest.mark.parametrize(
    "n, k, p, s, op, d",
    [
        (2, 2, 0, 1, 0, 1),
        (4, 4, 1, 2, 0, 1),
        (3, 3, 1, 2, 1, 1),
        ((3, 5), (4, 3), (1, 0), (2, 3), (1, 2), 1),
        (5, 3, 2, 1, 1, 2),
        ((2, 3), 3, 0, 3, 0, (2, 1)),
    ],
)
def test_trans_conv_output_size_matches_conv_transpose2d(n, k, p, s, op, d):
    hw = n if isinstance(n, tuple) else (n, n)
    size = trans_conv_output_size(n, k, p, s, op, d)
    layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d)
    expected = tuple(layer(torch.zeros(1, 1, *hw)).shape[2:])
    assert (size if isinstance(size, tuple) else (size, size)) == expected
    if d == 1 and op == 0 and not isinstance(k, tuple) and not isinstance(s, tuple):
        X = randn(*hw)
        assert trans_conv(X, randn(k, k), s, p).shape == expected


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: corr2d(torch.ones(1, 3, 3), torch.ones(2, 2)),
            r"corr2d expects a 2-D input X of shape \(H, W\), got shape \(1, 3, 3\); "
            r"for channels use corr2d_multi_in$",
        ),
        (
            lambda: corr2d(torch.ones(3, 3), torch.ones(1, 2, 2)),
            r"2-D kernel K of shape \(kh, kw\)",
        ),
        (
            lambda: corr2d(torch.ones(3, 3), torch.ones(4, 2)),
            r"kernel \(4, 2\) must .* fit in the input \(3, 3\)",
        ),
        (lambda: corr2d(torch.ones(3, 3), torch.ones(0, 2)), r"kernel \(0, 2\) must be non-empty"),
        (
            lambda: corr2d_multi_in(torch.ones(3, 3), torch.ones(2, 2)),
            r"3-D input X .*for one channel use corr2d",
        ),
        (
            lambda: corr2d_multi_in(torch.ones(3, 4, 4), torch.ones(2, 2, 2)),
            r"X has 3 input channels but K has 2",
        ),
        (
            lambda: corr2d_multi_in(torch.ones(2, 4, 4), torch.ones(2, 5, 2)),
            r"fit in the input \(4, 4\)",
        ),
        (
            lambda: corr2d_multi_in_out(torch.ones(2, 4, 4), torch.ones(2, 2, 2)),
            r"4-D kernel K of shape \(C_out, C_in, kh, kw\)",
        ),
        (
            lambda: corr2d_multi_in_out(torch.ones(2, 4, 4), torch.ones(1, 3, 2, 2)),
            r"X has 2 input channels but K has 3",
        ),
        (
            lambda: corr2d_multi_in_out_1x1(torch.ones(2, 4, 4), torch.ones(1, 2, 3, 3)),
            r"needs a 1x1 kernel, got \(3, 3\)",
        ),
        (
            lambda: corr2d_multi_in_out_1x1(torch.ones(2, 4, 4), torch.ones(1, 3, 1, 1)),
            r"X has 2 input channels but K has 3",
        ),
        (
            lambda: pool2d(torch.ones(3, 3), 2, mode="mean"),
            r"mode must be 'max' or 'avg', got 'mean'",
        ),
        (
            lambda: pool2d(torch.ones(1, 1, 3, 3), 2),
            r"got shape \(1, 1, 3, 3\); pool2d takes \(H, W\) or",
        ),
        (
            lambda: pool2d(torch.ones(3, 3), 4),
            r"window \(4, 4\) must fit in the padded input \(3, 3\)",
        ),
        (lambda: pool2d(torch.ones(3, 3), 2, stride=0), r"stride must be at least 1, got 0"),
        (lambda: pool2d(torch.ones(3, 3), 2, padding=-1), r"padding must be at least 0, got -1"),
        (
            lambda: pool2d(torch.ones(3, 3), 2, padding=2),
            r"padding 2 must be at most half of pool_size 2",
        ),
        (
            lambda: pool2d(torch.ones(3, 3), (2, 2, 2)),
            r"pool_size must be an int or an \(h, w\) pair",
        ),
        (
            lambda: trans_conv(torch.ones(2, 2), torch.ones(2, 2), stride=0),
            r"stride must be at least 1",
        ),
        (
            lambda: trans_conv(torch.ones(2, 2), torch.ones(2, 2), padding=-1),
            r"padding must be at least 0",
        ),
        (
            lambda: trans_conv(torch.ones(2, 2), torch.ones(2, 2), padding=2),
            r"padding 2 would leave nothing of the \(3, 3\) result; use padding at most 1",
        ),
        (
            lambda: trans_conv(torch.ones(2, 2), torch.ones(2, 2), stride=(1, 2)),
            r"stride and padding must be ints",
        ),
        (
            lambda: trans_conv(torch.ones(1, 2, 2), torch.ones(2, 2)),
            r"2-D input X of shape \(h, w\)",
        ),
        (lambda: conv_output_size(3, 5), r"kernel spans 5 rows/columns .* padded input's 3"),
        (
            lambda: conv_output_size(7, 3, dilation=4),
            r"kernel spans 9 rows/columns \(size 3, dilation 4\)",
        ),
        (lambda: conv_output_size(0, 1), r"input_size must be at least 1, got 0"),
        (lambda: conv_output_size(8, 0), r"kernel_size must be at least 1, got 0"),
        (lambda: conv_output_size(8, 3, stride=0), r"stride must be at least 1, got 0"),
        (
            lambda: conv_output_size(8, 3, padding=(1, -1)),
            r"padding must be at least 0, got \(1, -1\)",
        ),
        (lambda: conv_output_size(8, 3, dilation=0), r"dilation must be at least 1"),
        (
            lambda: conv_output_size(8.0, 3),
            r"input_size must be an int or an \(h, w\) pair of ints, got 8.0",
        ),
        (
            lambda: trans_conv_output_size(4, 3, stride=2, output_padding=2),
            r"output_padding 2 must be smaller than the stride 2 or the dilation 1",
        ),
        (lambda: trans_conv_output_size(1, 1, padding=1), r"padding 1 leaves an output of size -1"),
        (lambda: trans_conv_output_size(4, 3, stride=0), r"stride must be at least 1"),
        (lambda: trans_conv_output_size(4, 3, padding=-1), r"padding must be at least 0"),
        (lambda: trans_conv_output_size(0, 3), r"input_size must be at least 1"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: corr2d([[0.0, 1.0], [2.0, 3.0]], torch.ones(1, 1)),
            r"corr2d expects X to be a torch.Tensor, got list",
        ),
        (
            lambda: corr2d(torch.ones(2, 2), torch.ones(1, 1, dtype=torch.int64)),
            r"floating-point K, got torch.int64; use K.float\(\)",
        ),
        (lambda: pool2d(torch.arange(9).reshape(3, 3), 2), r"pool2d expects a floating-point X"),
        (
            lambda: trans_conv(torch.ones(2, 2), 1.0),
            r"trans_conv expects K to be a torch.Tensor, got float",
        ),
    ],
)
def test_non_float_tensor_raises_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()
