"""Sliders for the sizes of a convolution and its step, where a notebook can run widgets.

In Jupyter and Colab, ``interactive_conv`` shows ipywidgets sliders (input size, kernel size,
padding, stride, dilation, step) above the drawing of ``draw_frame``. Where nobody can move a
slider (no ipywidgets, no kernel, or a kernel that a book build or a test runs) it returns the
animation of ``animate`` instead, so that the built page still shows every step.
"""

from __future__ import annotations

import html
import io
import os
import sys
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.pyplot as plt
import torch

from course_lib.viz.animation import MAX_FRAMES, animate
from course_lib.viz.draw import draw_frame
from course_lib.viz.frames import KINDS, conv_frames

if TYPE_CHECKING:
    from IPython.display import HTML
    from ipywidgets import VBox


def widgets_available() -> bool:
    """Whether sliders would work here: ipywidgets, a kernel, and a notebook front end.

    A book build (Jupyter Book, through nbclient) and the notebook tests run the chapters in a
    kernel too, but with no front end to show widgets. The front ends are recognised by what
    they leave in the kernel: Colab by the ``google.colab`` module, Jupyter (JupyterLab,
    Notebook 7) by the ``JPY_SESSION_NAME`` environment variable, the notebook's path, that
    its server gives the kernels of notebooks. Elsewhere pass ``widgets=True`` to
    ``interactive_conv``.

    Returns:
        True in Jupyter and Colab; False in a script, in tests and in a book build.

    Example:
        >>> widgets_available()  # not in a notebook
        False
    """
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False  # a script, or the IPython terminal
    if matplotlib.get_backend().lower() == "agg":
        return False  # run for its files only (MPLBACKEND=Agg), as a build may do
    return "google.colab" in sys.modules or bool(os.environ.get("JPY_SESSION_NAME"))


def _enable_colab_widgets() -> None:
    """Colab shows ipywidgets 8 only with its custom widget manager switched on."""
    if "google.colab" in sys.modules:
        from google.colab import output

        output.enable_custom_widget_manager()


def _as_matrix(name: str, T) -> torch.Tensor:
    """T as a 2-D float tensor, or a ValueError."""
    T = torch.as_tensor(T, dtype=torch.float64)
    if T.dim() != 2:
        raise ValueError(f"interactive_conv: {name} must be 2-D (h, w), got shape {tuple(T.shape)}")
    return T


def _png(frames, k: int, X, K) -> bytes:
    """Step k drawn as PNG bytes, for an ``ipywidgets.Image``."""
    fig, _ = draw_frame(frames, k, X, K)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


def interactive_conv(
    input_size: int = 5,
    kernel_size: int = 3,
    padding: int = 0,
    stride: int = 1,
    dilation: int = 1,
    kind: str = "conv",
    X=None,
    K=None,
    widgets: bool | None = None,
) -> HTML | VBox:
    """Explore a convolution, pooling or transposed convolution with sliders, step by step.

    Args:
        input_size, kernel_size, padding, stride, dilation: the sliders' first values (ints).
        kind: ``"conv"``, ``"pool"`` or ``"transposed"``.
        X: optional input, a tensor of shape (h, w); it fixes the input size and its numbers
            are drawn in the cells.
        K: optional kernel of shape (kh, kw); it fixes the kernel size.
        widgets: True to make the sliders, False for the animation; None decides with
            ``widgets_available()``.

    Returns:
        An ``ipywidgets.VBox`` of the sliders and the drawing, or, without widgets, the
        ``IPython.display.HTML`` animation of ``animate`` for the first values.

    Example:
        >>> html = interactive_conv(3, 2, widgets=False)  # what a book build shows
        >>> type(html).__name__
        'HTML'
    """
    if kind not in KINDS:
        raise ValueError(f"interactive_conv: kind must be one of {KINDS}, got {kind!r}")
    X, K = (None if T is None else _as_matrix(name, T) for name, T in (("X", X), ("K", K)))
    if X is not None:
        input_size = tuple(X.shape)
    if K is not None:
        kernel_size = tuple(K.shape)
    frames = conv_frames(input_size, kernel_size, padding, stride, dilation, kind)
    if len(frames) > MAX_FRAMES:  # checked with widgets too: the built book shows the animation
        raise ValueError(
            f"interactive_conv: these first values give {len(frames)} steps, more than the "
            f"{MAX_FRAMES} of an animation, which the built book shows; start from a smaller "
            f"input or a larger stride"
        )
    if not (widgets_available() if widgets is None else widgets):
        return animate(frames, X, K)
    _enable_colab_widgets()
    return _widget(frames, X, K)


def _widget(frames, X, K):
    """The sliders and the drawing; moving a size slider recomputes the frames."""
    import ipywidgets as w

    def slider(name: str, value: tuple[int, int], low: int, high: int, fixed=False):
        return w.IntSlider(value=value[0], min=low, max=max(high, value[0]), description=name,
                           disabled=fixed, continuous_update=False)  # fmt: skip

    sizes = {
        "input_size": slider("input size", frames.input_size, 2, 9, fixed=X is not None),
        "kernel_size": slider("kernel size", frames.kernel_size, 1, 5, fixed=K is not None),
        "padding": slider("padding", frames.padding, 0, 3),
        "stride": slider("stride", frames.stride, 1, 4),
        "dilation": slider("dilation", frames.dilation, 1, 3),
    }
    step = w.IntSlider(value=0, min=0, max=len(frames) - 1, description="step")
    image, message = w.Image(format="png"), w.HTML()
    shown = {"frames": frames}

    def redraw(_=None) -> None:
        image.value = _png(shown["frames"], step.value, X, K)

    def resize(_=None) -> None:
        values = {name: s.value for name, s in sizes.items()}
        if X is not None:  # the given X and K fix their sizes, which may not be square
            values["input_size"] = frames.input_size
        if K is not None:
            values["kernel_size"] = frames.kernel_size
        try:
            shown["frames"] = conv_frames(**values, kind=frames.kind)
        except ValueError as error:
            message.value = f"<span style='color: #b30000'>{html.escape(str(error))}</span>"
            return
        message.value = ""
        before = step.value
        step.max = len(shown["frames"]) - 1  # clamps step.value, which redraws
        if step.value == before:
            redraw()

    for s in sizes.values():
        s.observe(resize, names="value")
    step.observe(redraw, names="value")
    redraw()
    rows = [w.HBox(list(sizes.values())[:3]), w.HBox([*list(sizes.values())[3:], step])]
    return w.VBox([*rows, message, image])
