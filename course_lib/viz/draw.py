"""Draw one step of the frames of ``conv_frames`` as a figure.

The input (with its padding), the kernel and the output are drawn side by side, one square per
cell, with the numbers in the cells when X and K are given and the grids are small. The same
drawing, recoloured step after step, makes the animation of ``course_lib.viz.animation``.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import Tensor

from course_lib.viz.frames import Frames, _as_grid, replay

COLORS = {
    "cell": "white",
    "padding": "#e0e0e0",  # padding of the input; for transposed, the rows/columns cropped
    "window": "#6baed6",  # the cells read at this step
    "read": "#deebf7",  # input cells read at earlier steps (transposed)
    "kernel": "#c6dbef",
    "written": "#fdd0a2",  # output cells written at earlier steps
    "current": "#fd8d3c",  # the output cells written at this step
}
GAP = 1.6  # cells between the grids
TOP, BOTTOM = 1.6, 1.6  # cells above the grids for the caption, below for the labels
MARGIN = 0.3  # cells left and right of the drawing
MIN_WIDTH = 12.0  # cells: room for the caption when the grids are narrow
MAX_NUMBERED = 14  # grids larger than this are drawn without numbers


def _fmt(value: float) -> str:
    """A cell's number: an integer when it is one, else one decimal; empty for NaN and -inf."""
    if math.isnan(value) or math.isinf(value):
        return ""
    return str(int(value)) if value == int(value) and abs(value) < 1e5 else f"{value:.1f}"


def _panels(frames: Frames) -> list[tuple[str, tuple[int, int]]]:
    """The grids to draw, left to right: (name, (h, w))."""
    input_grid = frames.input_size if frames.kind == "transposed" else frames.grid_size
    output_grid = frames.grid_size if frames.kind == "transposed" else frames.output_size
    kernel = [] if frames.kind == "pool" else [("kernel", frames.kernel_size)]
    return [("input", input_grid), *kernel, ("output", output_grid)]


def _layout(frames: Frames) -> tuple[list[tuple[float, float]], float, float]:
    """The top-left corner of each panel, and the width and height of the drawing, in cells."""
    panels = _panels(frames)
    height = max(h for _, (h, _) in panels)
    content = sum(w for _, (_, w) in panels) + GAP * (len(panels) - 1)
    corners, x = [], max(0.0, (MIN_WIDTH - content) / 2)  # centred when narrow
    for _, (h, w) in panels:
        corners.append((x, TOP + (height - h) / 2))
        x += w + GAP
    return corners, max(content, MIN_WIDTH), TOP + height + BOTTOM


def _new_figure(frames: Frames, dpi: float | None = None) -> tuple[Figure, Axes]:
    """A figure in which a cell is at most 0.42 inch and the drawing at most 9.5 x 5 inches."""
    _, width, height = _layout(frames)
    width += 2 * MARGIN
    cell = min(0.42, 9.5 / width, 5.0 / height)
    fig, ax = plt.subplots(figsize=(width * cell, height * cell), dpi=dpi)
    fig.subplots_adjust(0, 0, 1, 1)
    return fig, ax


def _labels(frames: Frames) -> list[str]:
    """The label under each panel."""
    (h, w), (kh, kw), (oh, ow) = frames.input_size, frames.kernel_size, frames.output_size

    def pair(name: str, value: tuple[int, int], default: int) -> str:
        if value == (default, default):
            return ""
        return f", {name} {value[0]}" if value[0] == value[1] else f", {name} {value[0]}x{value[1]}"

    pad, step = pair("padding", frames.padding, 0), pair("stride", frames.stride, 1)
    dilation = pair("dilation", frames.dilation, 1)
    if frames.kind == "transposed":
        crop = f"\n(grey: cropped by the {pad[2:]})" if pad else ""
        return [f"input {h}x{w}", f"kernel {kh}x{kw}{dilation}{step}", f"output {oh}x{ow}{crop}"]
    if frames.kind == "pool":
        return [f"input {h}x{w}{pad}{step}", f"output {oh}x{ow}\n(max over {kh}x{kw}{dilation})"]
    return [f"input {h}x{w}{pad}{step}", f"kernel {kh}x{kw}{dilation}", f"output {oh}x{ow}"]


def _caption(frames: Frames, k: int, inputs: Tensor | None, outputs: Tensor | None) -> str:
    """The line above the drawing: what step k does."""
    frame, head = frames[k], f"step {k + 1} of {len(frames)}: "
    if frames.kind == "transposed":
        (i, j), rows, cols = frame.in_cells[0], *zip(*frame.out_cells, strict=True)
        x = f" = {_fmt(inputs[i, j])}" if inputs is not None else ""
        return (f"{head}input[{i}, {j}]{x} times the kernel is added to rows {min(rows)}-"
                f"{max(rows)}, columns {min(cols)}-{max(cols)}")  # fmt: skip
    i, j = frame.out_cells[0]
    y = f" = {_fmt(outputs[i, j])}" if outputs is not None else ""
    what = "max(window)" if frames.kind == "pool" else "sum(window * kernel)"
    return f"{head}output[{i}, {j}] = {what}{y}"


def _padded_input(frames: Frames, X) -> Tensor:
    """X with its padding, in the coordinates of the frames (transposed: X itself)."""
    X = _as_grid("X", X, frames.input_size)
    if frames.kind == "transposed":
        return X
    (p_h, p_w), fill = frames.padding, float("-inf") if frames.kind == "pool" else 0.0
    padded = X.new_full(frames.grid_size, fill)  # max pooling pads with -inf, as PyTorch
    padded[p_h : p_h + X.shape[0], p_w : p_w + X.shape[1]] = X
    return padded


def _items(T: Tensor):
    """((row, column), value) for each element of a 2-D tensor."""
    return (((r, c), v) for r, row in enumerate(T.tolist()) for c, v in enumerate(row))


def _texts(frames, k, inputs, K, outputs) -> dict[tuple[str, int, int], str]:
    """The number in each cell: (panel, row, column) -> text."""
    texts = {("input", r, c): _fmt(v) for (r, c), v in _items(inputs)}
    if K is not None and frames.kind != "pool":
        K = _as_grid("K", K, frames.kernel_size)
        texts.update({("kernel", r, c): _fmt(v) for (r, c), v in _items(K)})
    if outputs is not None:
        written = {cell for frame in frames[: k + 1] for cell in frame.out_cells}
        texts.update({("output", *rc): _fmt(v) for rc, v in _items(outputs) if rc in written})
    return texts


def _fills(frames: Frames, k: int) -> dict[tuple[str, int, int], tuple[str, bool]]:
    """(colour, is padding) of each cell that is not plain white: (panel, row, column) -> ..."""
    fills = {}
    (gh, gw), (p_h, p_w) = frames.grid_size, frames.padding
    padded = "output" if frames.kind == "transposed" else "input"
    inner_h, inner_w = frames.output_size if frames.kind == "transposed" else frames.input_size
    for r in range(gh):
        for c in range(gw):
            if not (p_h <= r < p_h + inner_h and p_w <= c < p_w + inner_w):
                fills[padded, r, c] = (COLORS["padding"], True)
    if frames.kind != "pool":
        for r in range(frames.kernel_size[0]):
            for c in range(frames.kernel_size[1]):
                fills["kernel", r, c] = (COLORS["kernel"], False)
    for t, frame in enumerate(frames[: k + 1]):
        now = t == k
        if now or frames.kind == "transposed":  # transposed: show the input cells done
            for r, c in frame.in_cells:
                dim = fills.get(("input", r, c), (None, False))[1]
                fills["input", r, c] = (COLORS["window" if now else "read"], dim)
        for r, c in frame.out_cells:
            dim = fills.get(("output", r, c), (None, False))[1]
            fills["output", r, c] = (COLORS["current" if now else "written"], dim)
    return fills


class _Scene:
    """The artists of one drawing: a square and a text per cell, the labels and the caption.

    They are made once; ``show(k)`` recolours them for step k, so that an animation only
    changes colours and texts between frames.
    """

    def __init__(self, ax: Axes, frames: Frames, X=None, K=None):
        self.frames, self.K = frames, K
        self.X = X
        self.inputs = None if X is None else _padded_input(frames, X)
        self.numbers = self.inputs is not None
        panels, (corners, width, height) = _panels(frames), _layout(frames)
        cell_pt = 72 * ax.figure.get_size_inches()[0] / (width + 2 * MARGIN)  # points per cell
        if max(max(size) for _, size in panels) > MAX_NUMBERED:
            self.numbers = False  # too small to read
        longest = max(map(len, self._texts(len(frames) - 1).values()), default=1)
        size = min(11.0, cell_pt * 0.42 * min(1.0, 3.0 / longest))
        padding = {key for key, (_, dim) in _fills(frames, 0).items() if dim}
        self.cells = {}
        for (name, (h, w)), (x0, y0) in zip(panels, corners, strict=True):
            for r in range(h):
                for c in range(w):
                    dim = (name, r, c) in padding  # dashed and grey
                    edge = {"linestyle": "--", "edgecolor": "#8c8c8c"} if dim else {}
                    square = Rectangle((x0 + c, y0 + r), 1, 1, linewidth=0.8, **edge)
                    square.set_edgecolor(edge.get("edgecolor", "#404040"))
                    ax.add_patch(square)
                    text = ax.text(x0 + c + 0.5, y0 + r + 0.5, "", ha="center", va="center",
                                   fontsize=size, color="#6e6e6e" if dim else "black")  # fmt: skip
                    self.cells[name, r, c] = square, text
        font = max(7.0, min(10.0, cell_pt * 0.36))
        for label, (_, (h, w)), (x0, y0) in zip(_labels(frames), panels, corners, strict=True):
            ax.text(x0 + w / 2, y0 + h + 0.25, label, ha="center", va="top", fontsize=font)
        self.wrap = int(width * cell_pt / font * 1.8)  # characters per line of the caption
        self.caption = ax.text(-MARGIN / 2, TOP / 2, "", ha="left", va="center", fontsize=font)
        ax.set_xlim(-MARGIN, width + MARGIN)
        ax.set_ylim(height, 0)  # row 0 on top
        ax.set_aspect("equal")
        ax.axis("off")

    def _outputs(self, k: int) -> Tensor | None:
        """The output after step k, when X (and K, but for pooling) are given."""
        if self.X is None or (self.K is None and self.frames.kind != "pool"):
            return None
        return replay(self.frames, self.X, self.K, steps=k + 1)

    def _texts(self, k: int) -> dict[tuple[str, int, int], str]:
        if not self.numbers:
            return {}
        return _texts(self.frames, k, self.inputs, self.K, self._outputs(k))

    def show(self, k: int) -> None:
        """Colour the cells and write the numbers and caption of step k."""
        fills, texts = _fills(self.frames, k), self._texts(k)
        for key, (square, text) in self.cells.items():
            square.set_facecolor(fills.get(key, (COLORS["cell"], False))[0])
            text.set_text(texts.get(key, ""))
        caption = _caption(self.frames, k, self.inputs, self._outputs(k))
        self.caption.set_text(textwrap.fill(caption, self.wrap))


def draw_frame(frames: Frames, k: int = 0, X=None, K=None) -> tuple[Figure, Axes]:
    """Draw step k of a convolution, pooling or transposed convolution, for print.

    Args:
        frames: from ``conv_frames``.
        k: the step, 0 <= k < len(frames).
        X: optional input of shape ``frames.input_size``; its numbers are drawn in the cells.
        K: optional kernel of shape ``frames.kernel_size`` (not used for pooling); with X, the
            output cells written so far show their values.

    Returns:
        (fig, ax): one square patch per cell of the (padded) input, the kernel (conv and
        transposed) and the output (for transposed, the full output before cropping).

    Example:
        >>> from course_lib.viz import conv_frames
        >>> frames = conv_frames(3, 2)
        >>> fig, ax = draw_frame(frames, 1, X=[[0, 1, 2], [3, 4, 5], [6, 7, 8]], K=[[0, 1], [2, 3]])
        >>> len(ax.patches)  # 9 input cells, 4 kernel cells, 4 output cells
        17
        >>> plt.close(fig)
    """
    if not isinstance(frames, Frames):
        raise TypeError(f"draw_frame expects Frames from conv_frames, got {type(frames).__name__}")
    if type(k) is not int or not 0 <= k < len(frames):
        raise ValueError(f"draw_frame: step k must be an int in [0, {len(frames) - 1}], got {k!r}")
    fig, ax = _new_figure(frames)
    _Scene(ax, frames, X, K).show(k)
    return fig, ax
