"""All the steps of a convolution, pooling or transposed convolution as an HTML animation.

The animation is ``FuncAnimation.to_jshtml()``: one PNG per step and play controls in plain
HTML and JavaScript, which show in the built book, in Jupyter and in Colab without ffmpeg.
It starts playing (in a loop) as soon as it is shown; its controls pause it and step through it.
"""

from __future__ import annotations

import base64
import io
import re
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
from PIL import Image

from course_lib.viz.draw import _new_figure, _Scene
from course_lib.viz.frames import Frames

if TYPE_CHECKING:
    from IPython.display import HTML

MAX_FRAMES = 49  # a 7x7 output: about 1 MB of HTML with numbers in the cells


def animate(
    frames: Frames,
    X=None,
    K=None,
    interval: int = 700,
    dpi: float = 80,
    max_frames: int = MAX_FRAMES,
    autoplay: bool = True,
) -> HTML:
    """Animate every step of a convolution, pooling or transposed convolution as HTML.

    The animation is ``FuncAnimation.to_jshtml()``: one PNG per step with play controls, which
    shows in the built book, Jupyter and Colab without ffmpeg. It plays in a loop as soon as it
    is shown (unless ``autoplay`` is False); its controls pause it and step. At the default dpi
    a 5x5 input with a 3x3 kernel and padding 1 (25 steps, numbers in the cells) takes about
    0.3 MB of HTML.

    Args:
        frames: from ``conv_frames``.
        X, K: optional input and kernel, as for ``draw_frame``.
        interval: milliseconds between steps.
        dpi: resolution of the frames; lower makes the page lighter.
        max_frames: refuse to make more frames than this, to keep the page light.
        autoplay: start playing when shown; False shows the first step until Play is pressed.

    Returns:
        ``IPython.display.HTML``; its ``.data`` is the HTML text.

    Example:
        >>> from course_lib.viz import conv_frames
        >>> html = animate(conv_frames(3, 2), dpi=30)
        >>> "<script" in html.data
        True
    """
    from IPython.display import HTML

    if not isinstance(frames, Frames):
        raise TypeError(f"animate expects Frames from conv_frames, got {type(frames).__name__}")
    if len(frames) > max_frames:
        raise ValueError(
            f"animate: {len(frames)} steps is more than max_frames={max_frames}; use a smaller "
            f"input or a larger stride, draw single steps with draw_frame, or raise max_frames"
        )
    fig, ax = _new_figure(frames, dpi=dpi)
    fig.canvas.draw_idle = lambda *args, **kwargs: None  # save() renders each frame once itself
    scene = _Scene(ax, frames, X, K)
    animation = FuncAnimation(fig, scene.show, frames=len(frames), interval=interval)
    try:
        with plt.rc_context({"animation.frame_format": "png"}):
            html = animation.to_jshtml(default_mode="loop")
    finally:
        plt.close(fig)
    html = _inline_icons(_palette_frames(html))
    return HTML(_autoplay(html) if autoplay else html)


# The buttons' icons, drawn inline: to_jshtml's Font Awesome icons need a style sheet from a CDN,
# which fails offline and is one more request from every page with an animation.
_ICON_PATHS = {
    "minus": "M2 7h12v2H2z",
    "plus": "M2 7h12v2H2zM7 2h2v12H7z",
    "play": "M4 2l10 6-10 6z",
    "play fa-flip-horizontal": "M12 2L2 8l10 6z",
    "pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "step-forward": "M3 2l8 6-8 6zM12 2h2v12h-2z",
    "step-backward": "M13 2L5 8l8 6zM2 2h2v12H2z",
    "fast-forward": "M1 2l6 6-6 6zM7 2l6 6-6 6zM13 2h2v12h-2z",
    "fast-backward": "M15 2L9 8l6 6zM9 2L3 8l6 6zM1 2h2v12H1z",
}
_FA_ICON = re.compile(r'<i class="fa fa-([\w -]+)"></i>')
_FA_SHEET = re.compile(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">\s*')


def _inline_icons(html: str) -> str:
    """Replace to_jshtml's Font Awesome icons (and their CDN style sheet) by inline SVG."""

    def svg(match: re.Match) -> str:
        path = _ICON_PATHS[match.group(1)]
        return (
            '<svg viewBox="0 0 16 16" width="1em" height="1em" fill="currentColor" '
            f'aria-hidden="true"><path d="{path}"/></svg>'
        )

    return _FA_ICON.sub(svg, _FA_SHEET.sub("", html))


# How to_jshtml creates the player: ``animXXXX = new Animation(frames, ..., loop_select_id);``
_NEW_ANIMATION = re.compile(r"(\b(anim\w+) = new Animation\([^;]*\);)")


def _autoplay(html: str) -> str:
    """Make a to_jshtml page start playing as soon as its player is created."""
    html, count = _NEW_ANIMATION.subn(r"\1\n        \2.play_animation();", html)
    if count != 1:
        raise RuntimeError("animate: this matplotlib's to_jshtml page has an unknown layout")
    return html


_PNG_FRAME = re.compile(r'"data:image/png;base64,([^"]*)"')  # as FuncAnimation.to_jshtml embeds


def _palette_frames(html: str, colors: int = 64) -> str:
    """Re-encode the PNG frames of a to_jshtml page with a palette of at most ``colors`` colours.

    The drawings have a few flat colours, so nothing visible is lost, and the page is about
    four times lighter than with the full-colour frames.
    """

    def palette(match: re.Match) -> str:
        png = base64.b64decode(match.group(1).replace("\\\n", ""))
        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors)
        out = io.BytesIO()
        image.save(out, format="png", optimize=True)
        return f'"data:image/png;base64,{base64.b64encode(out.getvalue()).decode("ascii")}"'

    return _PNG_FRAME.sub(palette, html)
