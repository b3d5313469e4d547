"""Every figure of the course; each function returns ``(fig, ax)`` and draws nothing during
training.

- ``training``: ``plot_history``, the curves of what ``fit`` recorded;
- ``evaluation``: ``plot_per_class_accuracy`` and ``plot_confusion_matrix``, what ``evaluate``
  measured;
- ``images``: ``plot_images``, a batch titled with labels and predictions, ``plot_predictions``,
  a model's predictions on a loader's first images, and ``plot_feature_maps``, the channels of
  one layer's output;
- ``complexity``: ``plot_complexity``, Ho's figure of the complexity at every layer position;
- ``reconstructions``: ``plot_image_table`` and ``plot_logit_pairs``, what decoders rebuild;
- ``frames``, ``draw``, ``animation``, ``interactive``: ``conv_frames`` computes the steps of a
  convolution, pooling or transposed convolution as data; ``draw_frame`` draws one step,
  ``animate`` all of them as HTML, ``interactive_conv`` adds sliders where widgets can run;
- ``receptive_field``: the input pixels one unit of a stack of layers sees, by autograd and by
  the recurrence over the layers; ``draw_receptive_field`` draws them.

Example:
    >>> from course_lib import viz
    >>> frames = viz.conv_frames((3, 5), 3, padding=1)
    >>> len(frames), frames.output_size
    (15, (3, 5))
"""

from course_lib.viz.animation import animate
from course_lib.viz.complexity import plot_complexity
from course_lib.viz.draw import draw_frame
from course_lib.viz.evaluation import plot_confusion_matrix, plot_per_class_accuracy
from course_lib.viz.frames import Frame, Frames, conv_frames, frame_output, replay
from course_lib.viz.images import plot_feature_maps, plot_images, plot_predictions
from course_lib.viz.interactive import interactive_conv, widgets_available
from course_lib.viz.receptive_field import ReceptiveField, draw_receptive_field, receptive_field
from course_lib.viz.reconstructions import plot_image_table, plot_logit_pairs
from course_lib.viz.training import plot_history

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
    "plot_complexity",
    "plot_confusion_matrix",
    "plot_feature_maps",
    "plot_history",
    "plot_image_table",
    "plot_images",
    "plot_predictions",
    "plot_logit_pairs",
    "plot_per_class_accuracy",
    "receptive_field",
    "replay",
    "widgets_available",
]
