"""course_lib.data.bundle: ``load_data``'s splits, shapes, arguments, sizes and smoke runs."""

import pytest
import torch
import torchvision.transforms as T
from PIL import Image

from course_lib.data import (
    Augment,
    DatasetNotFoundError,
    DeviceLoader,
    Loader,
    load_data,
    load_images,
)

pytestmark = pytest.mark.usefixtures("no_downloads")


def test_subsets_are_disjoint_and_follow_the_seed(tmp_path, write_mnist):
    write_mnist(tmp_path, "MNIST")
    kwargs = dict(
        profile="full", root=tmp_path, batch_size=8, val_size=10, train_size=20, test_size=5
    )
    data = load_data("mnist", seed=1, **kwargs)
    train = {bytes(x.numpy()) for x in data.train.images}
    val = {bytes(x.numpy()) for x in data.val.images}
    assert len(train) == 20 and len(val) == 10 and not train & val
    again, other = load_data("mnist", seed=1, **kwargs), load_data("mnist", seed=2, **kwargs)
    assert torch.equal(again.val.images, data.val.images)
    assert not torch.equal(other.val.images, data.val.images)
    assert data.test.dataset_size == 5
    with pytest.raises(ValueError, match="test_size"):
        load_data("mnist", **(kwargs | dict(test_size=21)))


@pytest.mark.parametrize(
    "name, channels, side, classes",
    [
        ("mnist", 1, 32, 10),
        ("fashion_mnist", 1, 28, 10),
        ("cifar10", 3, 32, 10),
        ("cifar100", 3, 32, 100),
    ],
)
def test_each_loader_shapes_dtypes_ranges(name, channels, side, classes, capsys):
    data = load_data(name, profile="quick", batch_size=16, val_size=16, train_size=48, test_size=20)
    assert (data.in_channels, data.image_size, data.num_classes) == (
        channels,
        (side, side),
        classes,
    )
    assert len(data.classes) == classes and data.standin
    for loader, size in ((data.train, 48), (data.val, 16), (data.test, 20)):
        assert isinstance(loader, Loader) and loader.dataset_size == size
        assert len(loader) == -(-size // 16) and loader.batch_size == 16
        X, y = next(iter(loader))
        assert X.dtype == torch.float32 and X.shape == (16, channels, side, side)
        assert y.dtype == torch.int64 and y.shape == (16,) and 0 <= y.min() <= y.max() < classes
        assert 0 <= X.min() and X.max() <= 1 and X.max() > 0.5  # ToTensor's range
    images = load_images(name, profile="quick").images
    assert images.dtype == torch.uint8 and images.shape[1:] == (channels, side, side)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(name="svhn"), "unknown dataset 'svhn'"),
        (dict(profile="fast"), "unknown profile"),
        (dict(batch_size=0), "batch_size"),
        (dict(normalize="cifar"), "unknown normalisation"),
        (dict(name="mnist", normalize="cifar10"), "3 channels, but the images have 1"),
        (dict(val_size=2000), "exceed"),
        (dict(resize=-3), "resize"),
        (dict(augment="yes"), "augment"),
    ],
)
def test_bad_arguments_say_what_is_allowed(kwargs, message, capsys):
    arguments = dict(name="cifar10", profile="quick", batch_size=32, test_size=0) | kwargs
    with pytest.raises((ValueError, TypeError), match=message):
        load_data(arguments.pop("name"), **arguments)


def test_augment_true_is_the_standard_augmentation():
    data = load_data(
        "cifar10", profile="quick", batch_size=8, train_size=8, test_size=0, augment=True
    )
    assert data.train.augment == Augment(crop_padding=4, hflip=True)
    assert "crop 4, h-flip" in data.description
    report = Augment(hflip=True, vflip=True)  # the lab report's flips
    data = load_data(
        "cifar10", profile="quick", batch_size=8, train_size=8, test_size=0, augment=report
    )
    assert data.train.augment == report and data.test is None


def test_smoke_run_of_full_uses_small_announced_standins_of_the_real_shapes(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    data = load_data("cifar10", profile="full", batch_size=128, val_size=5000, resize=224)
    out = capsys.readouterr().out
    assert "Stand-in data" in out and "smoke run (COURSE_SMOKE=1)" in out
    X, _ = next(iter(data.train))
    assert tuple(X.shape) == (128, 3, 224, 224) and data.standin
    assert "512 train / 512 val / 512 test images" in data.description
    monkeypatch.delenv("COURSE_SMOKE")
    with pytest.raises(DatasetNotFoundError):
        load_data("cifar10", profile="full", batch_size=128)


def test_smoke_run_keeps_a_real_dataset_but_only_its_first_images(
    tmp_path, monkeypatch, capsys, write_mnist
):
    write_mnist(tmp_path, "MNIST", n_train=40, n_test=20)
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setattr("course_lib.profile.SMOKE_IMAGES", 8)
    monkeypatch.setattr("course_lib.data.datasets.SMOKE_IMAGES", 8)
    data = load_data("mnist", profile="full", batch_size=4, root=tmp_path, val_size=4)
    assert not data.standin and "8 train / 4 val / 8 test images" in data.description


def test_cifar_at_224_is_stored_at_32_and_upscaled_batch_by_batch(tmp_path, capsys):
    """Fine-tuning an ImageNet network: the 32x32 images stay resident, each batch is resized
    on the device, and the result is torchvision's Resize(224) + ToTensor + Normalize."""
    imagenet = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    data = load_data(
        "cifar10", profile="quick", batch_size=8, resize=224, normalize="imagenet", train_size=8,
        test_size=8, fast=True, device="cpu", offline=True, root=tmp_path,
    )  # fmt: skip
    assert isinstance(data.test, DeviceLoader) and data.image_size == (224, 224)
    assert data.test.images.shape == (8, 3, 32, 32) and data.test.images.dtype == torch.uint8
    X, _ = next(iter(data.test))
    assert X.shape == (8, 3, 224, 224) and X.dtype == torch.float32
    pipeline = T.Compose([T.Resize((224, 224)), T.ToTensor(), T.Normalize(*imagenet)])
    expected = torch.stack(
        [pipeline(Image.fromarray(x.permute(1, 2, 0).numpy())) for x in data.test.images]
    )
    assert (X - expected).abs().max() <= 1.5 / (255 * min(imagenet[1]))
