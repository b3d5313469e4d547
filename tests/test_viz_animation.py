"""The steps of a convolution as a light, offline HTML animation."""

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from course_lib.viz import animate, conv_frames  # noqa: E402


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
