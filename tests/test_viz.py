import re
import sys
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from course_lib.models import modern_lenet, vgg_block  # noqa: E402
from course_lib.ops import conv_output_size, trans_conv_output_size  # noqa: E402
from course_lib.viz import (  # noqa: E402
    animate,
    conv_frames,
    draw_frame,
    draw_receptive_field,
    frame_output,
    interactive_conv,
    receptive_field,
    replay,
    widgets_available,
)
from course_lib.viz import interactive as interactive_module  # noqa: E402


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


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


# --- drawings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frames, patches",
    [
        (conv_frames(3, 2), 9 + 4 + 4),
        (conv_frames((3, 5), 3, padding=1), 5 * 7 + 9 + 15),
        (conv_frames(4, 2, stride=2, kind="pool"), 16 + 4),
        (conv_frames(2, 2, padding=1, stride=2, kind="transposed"), 4 + 4 + 16),
    ],
)
def test_draw_frame_has_one_patch_per_cell(frames, patches):
    fig, ax = draw_frame(frames, len(frames) - 1)
    assert isinstance(fig, plt.Figure) and len(ax.patches) == patches


def test_draw_frame_writes_the_numbers():
    X, K = torch.arange(9.0).reshape(3, 3), [[0, 1], [2, 3]]
    _, ax = draw_frame(conv_frames(3, 2), 1, X, K)
    texts = [t.get_text() for t in ax.texts]
    assert "19" in texts and "25" in texts and "37" not in texts  # written so far: 2 steps
    assert any("output[0, 1] = sum(window * kernel) = 25" in t for t in texts)
    colours = [p.get_facecolor() for p in ax.patches]
    assert len(set(colours)) >= 4  # plain, window, kernel, current output...


def test_draw_frame_rejects_a_step_out_of_range():
    with pytest.raises(ValueError, match="step k must be"):
        draw_frame(conv_frames(3, 2), 4)
    with pytest.raises(TypeError, match="Frames from conv_frames"):
        draw_frame([1, 2], 0)


def test_animation_is_light_html_with_one_png_per_step():
    frames = conv_frames((3, 5), 3, padding=1)
    html = animate(frames, [[1, 0, 2, 3, 1], [3, 2, 0, 7, 0], [0, 6, 1, 1, 4]],
                   [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]).data  # fmt: skip
    assert html.count("data:image/png;base64,") == len(frames) == 15
    assert "<script" in html and len(html) < 250_000  # a 5x5 animation with numbers: ~0.3 MB
    assert plt.get_fignums() == []  # the figure is closed, so that it is not shown twice


def test_animation_plays_as_soon_as_it_is_shown_unless_told_not_to():
    html = animate(conv_frames(3, 2), dpi=30).data
    created = re.search(r"(anim\w+) = new Animation\([^;]*\);\s*(\w+)\.play_animation\(\);", html)
    assert created and created.group(1) == created.group(2)  # loop mode, so it keeps playing
    assert 'value="loop"' in html and "checked" in html.split('value="loop"')[1][:80]
    assert "font-awesome" not in html and "<svg" in html  # no style sheet from a CDN: works offline
    still = animate(conv_frames(3, 2), dpi=30, autoplay=False).data
    assert "new Animation" in still and not re.search(r"anim\w+\.play_animation\(\);\s*\}", still)


def test_animation_refuses_too_many_steps():
    with pytest.raises(ValueError, match="max_frames"):
        animate(conv_frames(28, 5, padding=2))


# --- interactive --------------------------------------------------------------------------------


def test_interactive_falls_back_to_the_animation_without_ipywidgets(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    assert not widgets_available()
    result = interactive_conv(3, 2)
    assert type(result).__name__ == "HTML" and result.data.count("data:image/png") == 4


@pytest.mark.parametrize(
    "session, colab, backend, expected",
    [
        (None, False, "module://matplotlib_inline.backend_inline", False),  # a book build
        ("chapter.ipynb", False, "module://matplotlib_inline.backend_inline", True),  # Jupyter
        (None, True, "module://matplotlib_inline.backend_inline", True),  # Colab
        ("chapter.ipynb", False, "agg", False),  # MPLBACKEND=Agg: run for its files only
    ],
)
def test_widgets_only_with_a_kernel_and_a_front_end(monkeypatch, session, colab, backend, expected):
    import IPython

    assert not widgets_available()  # pytest: no kernel
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=object()))
    monkeypatch.setattr(interactive_module.matplotlib, "get_backend", lambda: backend)
    if session:
        monkeypatch.setenv("JPY_SESSION_NAME", session)
    else:
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert widgets_available() is expected


def test_interactive_sliders_update_the_steps_and_report_errors(monkeypatch):
    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    box = interactive_conv(4, 3, widgets=True)
    assert calls == [1]  # Colab's widget manager switched on
    (size, kernel, padding), (stride, _, step) = (row.children for row in box.children[:2])
    message, image = box.children[2:]
    assert step.max == 3 and bytes(image.value).startswith(b"\x89PNG")
    step.value = 3
    padding.value = 1  # 4x4 output
    assert step.max == 15 and step.value == 3 and message.value == ""
    stride.value = 2
    assert step.max == 3
    padding.value, kernel.value = 0, 5  # the kernel no longer fits: a message, no exception
    assert "conv_output_size" in message.value


def test_interactive_refuses_first_values_too_long_to_animate():
    with pytest.raises(ValueError, match="64 steps"):  # even with widgets: the book animates
        interactive_conv(10, 3, widgets=True)


def test_interactive_with_fixed_x_and_k_disables_their_sliders():
    X = torch.arange(15.0).reshape(3, 5)
    box = interactive_conv(X=X, K=torch.ones(3, 3), padding=1, widgets=True)
    size, kernel, padding = box.children[0].children
    assert size.disabled and kernel.disabled and not padding.disabled
    padding.value = 0
    assert box.children[1].children[-1].max == 2  # a 1x3 output


# --- receptive field ----------------------------------------------------------------------------


def recurrence(layers):
    """r and j of a stack of (k, s, p, d) layers, and the first pixel seen by unit 0."""
    r, j, start = 1, 1, 0
    for k, s, p, d in layers:
        r, j, start = r + d * (k - 1) * j, j * s, start - p * j
    return r, j, start


STACK = [(3, 1, 0, 1), (3, 1, 0, 1), (2, 2, 0, 1), (3, 1, 1, 1), (2, 2, 0, 1)]


def conv_pool_stack():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
    )  # fmt: skip


@pytest.mark.parametrize("unit", [(0, 0, 0), (3, 2, 3), (7, 4, 4), (1, 0, 4)])
def test_receptive_field_matches_the_recurrence_and_autograd(unit):
    model = conv_pool_stack()
    rf = receptive_field(model, (2, 24, 24), unit=unit)
    r, j, start = recurrence(STACK)
    assert (r, j) == (12, 4) and rf.size == (r, r) and rf.jump == (j, j)
    top, left = start + unit[1] * j, start + unit[2] * j
    assert rf.region == (top, left, top + r, left + r)
    assert rf.mask_bounds == rf.bounds  # the autograd mask fills the region, clipped
    assert rf.mask.sum() == (rf.bounds[2] - rf.bounds[0]) * (rf.bounds[3] - rf.bounds[1])
    # The real model (random weights, ReLU, max pooling) ignores every pixel outside the mask.
    X = randn(1, 2, 24, 24, seed=6).float()
    model.eval()
    Y = model(X)[(0, *unit)]
    noise = randn(1, 2, 24, 24, seed=7).float() * ~rf.mask
    assert model(X + noise)[(0, *unit)] == Y


def test_receptive_field_of_lenet_and_vgg():
    rf = receptive_field(modern_lenet()[:6], (1, 28, 28), unit=(3, 1, 1))
    assert rf.output_shape == (16, 5, 5) and rf.size == (16, 16) and rf.jump == (4, 4)
    assert rf.bounds == rf.mask_bounds == (2, 2, 18, 18)
    rf = receptive_field(modern_lenet()[:6], (1, 28, 28), unit=(0, 0, 0))
    assert rf.region == (-2, -2, 14, 14) and rf.bounds == rf.mask_bounds == (0, 0, 14, 14)
    vgg_first_blocks = nn.Sequential(vgg_block(1, 1, 64), vgg_block(1, 64, 128))  # as vgg11()[:2]
    rf = receptive_field(vgg_first_blocks, (1, 32, 32))  # the centre unit of channel 0
    assert rf.unit == (0, 4, 4) and rf.size == (10, 10) and rf.jump == (4, 4)
    assert rf.mask_bounds == rf.bounds == (13, 13, 23, 23)


def test_receptive_field_with_holes_and_dilation():
    rf = receptive_field(nn.Sequential(nn.Conv2d(1, 1, 1, stride=2), nn.Conv2d(1, 1, 3)),
                         (1, 12, 12), unit=(0, 1, 1))  # fmt: skip
    assert rf.size == (5, 5) and int(rf.mask.sum()) == 9 and rf.mask_bounds == rf.bounds
    rf = receptive_field(nn.Conv2d(1, 1, 3, dilation=2, padding="same"), (1, 9, 9), (0, 4, 4))
    assert rf.size == (5, 5) and rf.region == (2, 2, 7, 7) and int(rf.mask.sum()) == 9


def test_receptive_field_leaves_the_model_alone_and_rejects_bad_input():
    model = conv_pool_stack()
    before = [p.clone() for p in model.parameters()]
    receptive_field(model, (2, 24, 24))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    with pytest.raises(TypeError, match="Flatten"):
        receptive_field(modern_lenet(), (1, 28, 28))
    with pytest.raises(ValueError, match="not in the output"):
        receptive_field(model, (2, 24, 24), unit=(0, 5, 0))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        receptive_field(model, (24, 24))


def test_draw_receptive_field():
    rf = receptive_field(modern_lenet()[:6], (1, 28, 28), unit=(3, 0, 4))
    fig, ax = draw_receptive_field(rf, image=torch.rand(1, 28, 28))
    assert ax.get_xlabel() == "input column" and ax.get_ylabel() == "input row"
    box = [p for p in ax.patches if p.get_linestyle() == "--"][0]
    assert (box.get_x(), box.get_y(), box.get_width()) == (14 - 0.5, -2 - 0.5, 16)
    assert "padding" in fig.legends[0].get_texts()[1].get_text()
