"""Pictures computed from the code the student runs.

- ``conv_frames`` computes the steps of a convolution, pooling or transposed convolution as
  data; ``draw_frame`` draws one step, ``animate`` all of them as HTML, ``interactive_conv``
  adds sliders where widgets can run.
- ``receptive_field`` finds the input pixels one unit of a stack of layers sees, by autograd
  and by the recurrence over the layers; ``draw_receptive_field`` draws them.

Example:
    >>> from course_lib import viz
    >>> frames = viz.conv_frames((3, 5), 3, padding=1)
    >>> len(frames), frames.output_size
    (15, (3, 5))
"""

from course_lib.viz.animation import animate
from course_lib.viz.draw import draw_frame
from course_lib.viz.frames import Frame, Frames, conv_frames, frame_output, replay
from course_lib.viz.interactive import interactive_conv, widgets_available
from course_lib.viz.receptive_field import ReceptiveField, draw_receptive_field, receptive_field

__all__ = [
    "Frame",
    "Frames",
    "ReceptiveField",
    "animate",
    "conv_frames",
    "draw_frame",
    "draw_receptive_field",
    "frame_output",
    "interactive_conv",
    "receptive_field",
    "replay",
    "widgets_available",
]
