"""All the steps of a convolution, pooling or transposed convolution as an HTML animation.

The animation is ``FuncAnimation.to_jshtml()``: one PNG per step and play controls in plain
HTML and JavaScript, which show in the built book, in Jupyter and in Colab without ffmpeg.
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
) -> HTML:
    """Animate every step of a convolution, pooling or transposed convolution as HTML.

    The animation is ``FuncAnimation.to_jshtml()``: one PNG per step with play controls, which
    shows in the built book, Jupyter and Colab without ffmpeg. At the default dpi a 5x5 input
    with a 3x3 kernel and padding 1 (25 steps, numbers in the cells) takes about 0.3 MB of HTML.

    Args:
        frames: from ``conv_frames``.
        X, K: optional input and kernel, as for ``draw_frame``.
        interval: milliseconds between steps.
        dpi: resolution of the frames; lower makes the page lighter.
        max_frames: refuse to make more frames than this, to keep the page light.

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
    return HTML(_palette_frames(html))


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
