"""One step of a convolution drawn: a patch per cell, the numbers written so far."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.viz import conv_frames, draw_frame  # noqa: E402


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
