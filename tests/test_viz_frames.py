"""The frames of a convolution, pooling and transposed convolution, checked against PyTorch."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.ops import conv_output_size, trans_conv_output_size
from course_lib.viz import conv_frames, frame_output, replay


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# (input_size, kernel_size, padding, stride, dilation)
CONV_CASES = [
    (3, 2, 0, 1, 1),
    ((3, 5), 3, 1, 1, 1),
    (5, 3, 1, 2, 1),
    (6, 3, 0, 2, 1),  # the stride does not divide: PyTorch leaves the last column out
    ((7, 6), (3, 2), (1, 0), (2, 3), 1),
    (7, 3, 2, 1, 2),
    (8, (2, 3), 1, 3, (2, 1)),
]
POOL_CASES = [(4, 2, 0, 2, 1), (5, 3, 1, 2, 1), (6, 2, 1, 1, 1), (7, 3, 1, 2, 2)]
TRANS_CASES = [(2, 2, 0, 1, 1), (3, 3, 1, 2, 1), ((2, 3), (3, 2), 0, (2, 1), 1), (4, 4, 1, 2, 1),
               (3, 2, 0, 2, 2)]  # fmt: skip


def pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


# --- the frames: geometry -----------------------------------------------------------------------


@pytest.mark.parametrize("n, k, p, s, d", CONV_CASES)
def test_conv_frames_sizes_and_windows(n, k, p, s, d):
    frames = conv_frames(n, k, p, s, d)
    out = pair(conv_output_size(n, k, p, s, d, strict=False))
    assert frames.output_size == out and len(frames) == out[0] * out[1]
    (kh, kw), (gh, gw) = pair(k), frames.grid_size
    assert frames.grid_size == (pair(n)[0] + 2 * pair(p)[0], pair(n)[1] + 2 * pair(p)[1])
    for t, frame in enumerate(frames):
        assert frame.step == t and len(frame.out_cells) == 1 and len(frame.in_cells) == kh * kw
        assert all(0 <= r < gh and 0 <= c < gw for r, c in frame.in_cells)
        i, j = frame.out_cells[0]
        assert frame.in_cells[0] == (i * pair(s)[0], j * pair(s)[1])  # the window's top-left
    assert [f.out_cells[0] for f in frames] == [
        (i, j) for i in range(out[0]) for j in range(out[1])
    ]


@pytest.mark.parametrize("n, k, p, s, d", CONV_CASES)
def test_conv_frames_windows_match_nn_conv2d_on_one_hot_inputs(n, k, p, s, d):
    # A conv with all-one weights on a one-hot input is nonzero exactly at the outputs whose
    # window holds the one: the frames must say the same.
    frames = conv_frames(n, k, p, s, d)
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    nn.init.ones_(conv.weight)
    (h, w), (p_h, p_w) = pair(n), pair(p)
    for r in range(h):
        for c in range(w):
            X = torch.zeros(1, 1, h, w)
            X[0, 0, r, c] = 1.0
            expected = {tuple(ij) for ij in conv(X)[0, 0].nonzero().tolist()}
            seen = {f.out_cells[0] for f in frames if (r + p_h, c + p_w) in f.in_cells}
            assert seen == expected


@pytest.mark.parametrize("n, k, p, s, d", TRANS_CASES)
def test_transposed_frames_match_nn_conv_transpose2d_on_one_hot_inputs(n, k, p, s, d):
    frames = conv_frames(n, k, p, s, d, kind="transposed")
    out = pair(trans_conv_output_size(n, k, p, s, dilation=d))
    (h, w), (p_h, p_w) = pair(n), pair(p)
    assert frames.output_size == out and len(frames) == h * w
    assert frames.grid_size == (out[0] + 2 * p_h, out[1] + 2 * p_w)
    conv = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    nn.init.ones_(conv.weight)
    for frame in frames:
        (i, j), X = frame.in_cells[0], torch.zeros(1, 1, h, w)
        X[0, 0, i, j] = 1.0
        assert len(frame.out_cells) == pair(k)[0] * pair(k)[1]
        expected = {tuple(ij) for ij in conv(X)[0, 0].nonzero().tolist()}
        cropped = {(r - p_h, c - p_w) for r, c in frame.out_cells}
        assert expected == {(r, c) for r, c in cropped if 0 <= r < out[0] and 0 <= c < out[1]}


# --- the frames: values -------------------------------------------------------------------------


@pytest.mark.parametrize("n, k, p, s, d", CONV_CASES)
def test_frame_output_equals_conv2d(n, k, p, s, d):
    frames = conv_frames(n, k, p, s, d)
    X, K = randn(*pair(n), seed=1), randn(*pair(k), seed=2)
    expected = F.conv2d(X[None, None], K[None, None], stride=s, padding=p, dilation=d)[0, 0]
    torch.testing.assert_close(frame_output(frames, X, K), expected)


@pytest.mark.parametrize("n, k, p, s, d", POOL_CASES)
def test_frame_output_equals_max_pool2d(n, k, p, s, d):
    frames = conv_frames(n, k, p, s, d, kind="pool")
    assert len(frames) == conv_output_size(n, k, p, s, d, strict=False) ** 2
    X = randn(n, n, seed=3)
    expected = F.max_pool2d(X[None, None], k, stride=s, padding=p, dilation=d)[0, 0]
    torch.testing.assert_close(frame_output(frames, X), expected)


@pytest.mark.parametrize("n, k, p, s, d", TRANS_CASES)
def test_frame_output_equals_conv_transpose2d(n, k, p, s, d):
    frames = conv_frames(n, k, p, s, d, kind="transposed")
    X, K = randn(*pair(n), seed=4), randn(*pair(k), seed=5)
    expected = F.conv_transpose2d(X[None, None], K[None, None], stride=s, padding=p, dilation=d)
    torch.testing.assert_close(frame_output(frames, X, K), expected[0, 0])


def test_the_chapters_examples():
    X, K = torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert frame_output(conv_frames(3, 2), X, K).tolist() == [[19, 25], [37, 43]]
    image = [[1, 0, 2, 3, 1], [3, 2, 0, 7, 0], [0, 6, 1, 1, 4]]
    sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    Y = frame_output(conv_frames((3, 5), 3, padding=1), image, sobel)
    assert Y.tolist() == [[2, -1, 11, -2, -13], [10, -4, 8, 2, -18], [14, -1, -5, 6, -9]]
    Y = frame_output(conv_frames(2, 2, kind="transposed"), K, K)
    assert Y.tolist() == [[0, 0, 1], [0, 4, 6], [4, 12, 9]]


def test_replay_writes_one_cell_per_step_and_transposed_accumulates():
    X, K = torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    partial = replay(conv_frames(3, 2), X, K, steps=2)
    assert partial[0].tolist() == [19, 25] and partial[1].isnan().all()
    frames = conv_frames(2, 2, kind="transposed")
    assert replay(frames, K, K, steps=2).tolist() == [[0, 0, 1], [0, 2, 3], [0, 0, 0]]


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((3, 5), {}, "conv_output_size: the kernel spans 5"),
        ((3, 3), {"dilation": 2}, "conv_output_size: the kernel spans 5"),
        ((3, 2), {"stride": 0}, "stride must be at least 1"),
        ((3, 2), {"padding": -1}, "padding must be at least 0"),
        ((2, 2), {"padding": 2, "kind": "transposed"}, "trans_conv_output_size: padding"),
        ((4, 2), {"padding": 2, "kind": "pool"}, "at most half of the window"),
        ((4, 2), {"kind": "avg"}, "kind must be one of"),
    ],
)
def test_invalid_sizes_raise_value_error(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv_frames(*args, **kwargs)


def test_wrong_shapes_of_x_and_k_raise():
    frames = conv_frames(3, 2)
    with pytest.raises(ValueError, match=r"X must have shape \(3, 3\)"):
        frame_output(frames, torch.zeros(4, 4), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="needs the kernel K"):
        frame_output(frames, torch.zeros(3, 3))
