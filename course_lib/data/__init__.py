"""Data for the course: MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100, real or stand-in.

The one call a chapter makes::

    data = load_data("cifar10", profile=profile, batch_size=512, augment=True,
                     normalize="cifar10", val_size=5000)
    for epoch in range(num_epochs):
        data.train.set_epoch(epoch)
        for X, y in data.train:  # X float32 (B, 3, 32, 32) normalised, y int64 (B,)
            ...

Modules, each with one job:

- ``datasets``: the four datasets through torchvision, the data folder, offline mode,
  ``load_images`` for uint8 tensors;
- ``standins``: what replaces a dataset that cannot be had in the ``quick`` profile;
- ``transforms``: augmentation and normalisation as batched tensor operations;
- ``loaders``: the loader interface and the plain path (a ``DataLoader``);
- ``resident``: the fast path (the dataset resident on the device, a GPU or the CPU);
- ``bundle``: ``load_data`` and ``DataBundle``;
- ``notice``: the notice a page opens with when it does not run the full edition.
"""

from course_lib.data.bundle import DataBundle, load_data
from course_lib.data.datasets import (
    SPECS,
    DatasetNotFoundError,
    Images,
    data_root,
    load_images,
)
from course_lib.data.loaders import Loader, PlainLoader
from course_lib.data.notice import EditionNotice, edition_notice
from course_lib.data.resident import DeviceLoader
from course_lib.data.standins import clothing_standin, digits_standin, shapes_standin
from course_lib.data.transforms import NORMALIZATIONS, Augment, channel_stats, crop_and_flip, pad
from course_lib.profile import one_thread_on_cpu

DATASETS = tuple(SPECS)

__all__ = [
    "DATASETS",
    "NORMALIZATIONS",
    "Augment",
    "DataBundle",
    "DatasetNotFoundError",
    "DeviceLoader",
    "EditionNotice",
    "Images",
    "Loader",
    "PlainLoader",
    "channel_stats",
    "crop_and_flip",
    "data_root",
    "clothing_standin",
    "digits_standin",
    "edition_notice",
    "load_data",
    "load_images",
    "one_thread_on_cpu",
    "pad",
    "shapes_standin",
]
