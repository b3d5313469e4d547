"""course_lib.data.loaders and course_lib.data.resident: both loaders, correct and determined.

The device-resident loader (``resident.DeviceLoader``) is checked against the plain ``DataLoader``
path (``loaders.PlainLoader``): they must give identical batches, on the CPU and on a GPU.
"""

import numpy as np
import pytest
import torch

from course_lib.data import Augment, DeviceLoader, Loader, PlainLoader, load_data
from course_lib.data.loaders import epoch_plan

CIFAR_LIKE = dict(mean=(0.49, 0.48, 0.45), std=(0.2, 0.2, 0.2))


STANDARD = Augment(crop_padding=4, hflip=True)


def all_batches(loader) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(X.cpu(), y.cpu()) for X, y in loader]


def same_batches(a, b) -> bool:
    return len(a) == len(b) and all(
        torch.equal(X, X2) and torch.equal(y, y2) for (X, y), (X2, y2) in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("loader_class", [DeviceLoader, PlainLoader])
def test_batches_keep_images_and_labels_together(loader_class):
    labels = torch.arange(100)
    images = labels.to(torch.uint8).view(100, 1, 1, 1).expand(100, 1, 4, 4).contiguous()
    loader = loader_class(images, labels, batch_size=32, mean=(0,), std=(1 / 255,), shuffle=True)
    assert isinstance(loader, Loader) and len(loader) == 4 and loader.dataset_size == 100
    seen = []
    for X, y in loader:
        assert torch.equal(X[:, 0, 0, 0], y.float()) and X.dtype == torch.float32
        seen += y.tolist()
    assert sorted(seen) == list(range(100)) and seen != list(range(100))  # all, once, shuffled
    evaluation = loader_class(images, labels, batch_size=32, mean=(0,), std=(1 / 255,))
    assert torch.cat([y for _, y in evaluation]).tolist() == list(range(100))  # in order


def test_each_image_gets_its_own_augmentation(random_images):
    images = random_images(1).expand(64, 3, 32, 32).contiguous()  # 64 copies of one image
    loader = DeviceLoader(
        images, torch.zeros(64, dtype=torch.int64), batch_size=64, augment=STANDARD, **CIFAR_LIKE
    )
    X, _ = next(iter(loader))
    distinct = {bytes(x.numpy()) for x in X}
    assert len(distinct) > 30  # 81 crops x 2 flips to choose from


def test_order_and_augmentation_follow_seed_and_epoch(random_images):
    images, labels = random_images(50), torch.arange(50) % 10
    kwargs = dict(batch_size=16, augment=STANDARD, shuffle=True, **CIFAR_LIKE)
    uninterrupted = DeviceLoader(images, labels, seed=3, **kwargs)
    epochs = [all_batches(uninterrupted) for _ in range(3)]  # without set_epoch: epochs 0, 1, 2
    resumed = DeviceLoader(images, labels, seed=3, **kwargs)
    resumed.set_epoch(2)
    assert same_batches(all_batches(resumed), epochs[2])
    resumed.set_epoch(0)
    assert same_batches(all_batches(resumed), epochs[0])
    assert not same_batches(epochs[0], epochs[1])
    other_seed = DeviceLoader(images, labels, seed=4, **kwargs)
    assert not same_batches(all_batches(other_seed), epochs[0])
    with pytest.raises(ValueError, match="epoch"):
        resumed.set_epoch(-1)


def test_epoch_plan_without_shuffle_or_augmentation():
    order, params = epoch_plan(6, seed=0, epoch=9, shuffle=False, augment=Augment())
    assert order.tolist() == list(range(6)) and params is None


@pytest.mark.parametrize("num_workers", [0, 1])
def test_fast_path_and_plain_path_give_identical_batches(num_workers, random_images):
    images, labels = random_images(40, side=16), torch.arange(40) % 10
    kwargs = dict(
        batch_size=16, augment=Augment(crop_padding=2, hflip=True, vflip=True), shuffle=True, seed=7
    )
    kwargs |= dict(resize=24, **CIFAR_LIKE)
    fast, plain = (
        DeviceLoader(images, labels, **kwargs),
        PlainLoader(images, labels, num_workers=num_workers, **kwargs),
    )
    for epoch in (0, 5):
        fast.set_epoch(epoch)
        plain.set_epoch(epoch)
        assert same_batches(all_batches(fast), all_batches(plain))


def test_load_data_fast_and_plain_agree(tmp_path, capsys):
    kwargs = dict(profile="quick", batch_size=32, train_size=64, test_size=32, augment=True)
    kwargs |= dict(offline=True, root=tmp_path)  # the stand-in, wherever real data may be
    fast = load_data("cifar10", fast=True, **kwargs)
    plain = load_data("cifar10", fast=False, **kwargs)
    assert isinstance(fast.train, DeviceLoader) and isinstance(plain.train, PlainLoader)
    assert "fast path" in fast.description and "DataLoader" in plain.description
    for split in ("train", "test"):
        assert same_batches(all_batches(getattr(fast, split)), all_batches(getattr(plain, split)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_batches_on_the_gpu_equal_those_on_the_cpu(random_images):
    images, labels = random_images(100), torch.arange(100) % 10
    kwargs = dict(batch_size=32, augment=STANDARD, shuffle=True, **CIFAR_LIKE)
    on_gpu = DeviceLoader(images, labels, device="cuda", **kwargs)
    X, y = next(iter(on_gpu))
    assert X.device.type == "cuda" and on_gpu.images.device.type == "cuda"
    cpu = all_batches(DeviceLoader(images, labels, **kwargs))
    on_gpu.set_epoch(0)
    for (X, y), (X_cpu, y_cpu) in zip(all_batches(on_gpu), cpu, strict=True):
        assert torch.equal(y, y_cpu) and np.allclose(X.numpy(), X_cpu.numpy(), atol=1e-5)
