"""course_lib.data's batched augmentation and the two loaders: correctness and determinism.

The batched operations are checked against torchvision's per-image functions, and the
device-resident fast path against the plain DataLoader path: they must give identical batches.
"""

import numpy as np
import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.v2.functional as TF
from PIL import Image

from course_lib.data import Augment, DeviceLoader, Loader, PlainLoader, load_data
from course_lib.data.loaders import epoch_plan
from course_lib.data.transforms import crop_and_flip, draw_params, pad

CIFAR_LIKE = dict(mean=(0.49, 0.48, 0.45), std=(0.2, 0.2, 0.2))
STANDARD = Augment(crop_padding=4, hflip=True)


def random_images(n: int = 64, channels: int = 3, side: int = 32, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, side, side), dtype=torch.uint8, generator=generator)


def all_batches(loader) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(X.cpu(), y.cpu()) for X, y in loader]


def same_batches(a, b) -> bool:
    return len(a) == len(b) and all(
        torch.equal(X, X2) and torch.equal(y, y2) for (X, y), (X2, y2) in zip(a, b, strict=True)
    )


# ---------------------------------------------------------------- the batched operations


def crop(images: torch.Tensor, top: int, left: int, padding: int = 4) -> torch.Tensor:
    return crop_and_flip(pad(images, padding), torch.tensor([[top, left, 0, 0]]), Augment(padding))


def test_crop_matches_torchvision_pad_then_crop():
    images = random_images(16)
    params = draw_params(16, Augment(crop_padding=4), torch.Generator().manual_seed(0))
    cropped = crop_and_flip(pad(images, 4), params, Augment(crop_padding=4))
    for image, (top, left, _, _), result in zip(images, params.tolist(), cropped, strict=True):
        # What RandomCrop(32, padding=4) does to one image:
        expected = TF.crop(TF.pad(image, [4]), top, left, 32, 32)
        assert torch.equal(result, expected)


def test_crop_shifts_content_and_fills_with_zeros():
    images = random_images(1)
    assert torch.equal(crop(images, 4, 4), images)  # the centred window: unchanged
    shifted = crop(images, 4, 7)  # window 3 pixels to the right: content moves left
    assert torch.equal(shifted[..., :-3], images[..., 3:]) and shifted[..., -3:].eq(0).all()
    shifted = crop(images, 0, 4)  # window 4 pixels up: content moves down
    assert torch.equal(shifted[..., 4:, :], images[..., :-4, :]) and shifted[..., :4, :].eq(0).all()


def test_flips_flip_exactly_the_chosen_images():
    images = random_images(4)
    params = torch.tensor([[0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 1]])
    out = crop_and_flip(images, params, Augment(hflip=True, vflip=True))
    assert torch.equal(out[0], TF.horizontal_flip(images[0])) and torch.equal(out[1], images[1])
    assert torch.equal(out[2], TF.vertical_flip(images[2]))
    assert torch.equal(out[3], TF.vertical_flip(TF.horizontal_flip(images[3])))
    only_horizontal = crop_and_flip(images, params, Augment(hflip=True))
    assert torch.equal(only_horizontal[2], images[2]) and torch.equal(
        only_horizontal[3], TF.horizontal_flip(images[3])
    )


def test_crop_then_flips_as_torchvision_composes_them():
    images = random_images(32)
    augment = Augment(crop_padding=2, hflip=True, vflip=True)
    params = draw_params(32, augment, torch.Generator().manual_seed(1))
    out = crop_and_flip(pad(images, 2), params, augment)
    for image, (top, left, h, v), result in zip(images, params.tolist(), out, strict=True):
        expected = TF.crop(TF.pad(image, [2]), top, left, 32, 32)
        expected = TF.horizontal_flip(expected) if h else expected
        assert torch.equal(result, TF.vertical_flip(expected) if v else expected)
    assert params[:, :2].min() >= 0 and params[:, :2].max() <= 4
    assert set(params[:, 2:].unique().tolist()) == {0, 1}


def test_resize_matches_pil_resize_then_to_tensor():
    """Fashion-MNIST at 96, as d2l feeds ResNet: Resize(96) on PIL images, then ToTensor()."""
    images = random_images(4, channels=1, side=28)
    loader = DeviceLoader(
        images, torch.zeros(4, dtype=torch.int64), batch_size=4, mean=(0,), std=(1,), resize=96
    )
    X, _ = next(iter(loader))
    pipeline = T.Compose([T.Resize((96, 96)), T.ToTensor()])
    expected = torch.stack([pipeline(Image.fromarray(image[0].numpy())) for image in images])
    assert X.shape == (4, 1, 96, 96) and (X - expected).abs().max() <= 1 / 255


def test_normalisation_matches_to_tensor_then_normalize():
    images = random_images(4)
    loader = PlainLoader(images, torch.zeros(4, dtype=torch.int64), batch_size=4, **CIFAR_LIKE)
    X, _ = next(iter(loader))
    pipeline = T.Compose([T.ToTensor(), T.Normalize(CIFAR_LIKE["mean"], CIFAR_LIKE["std"])])
    expected = torch.stack(
        [pipeline(Image.fromarray(image.permute(1, 2, 0).numpy())) for image in images]
    )
    assert torch.allclose(X, expected, atol=1e-5)


# ---------------------------------------------------------------- the loaders


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


def test_each_image_gets_its_own_augmentation():
    images = random_images(1).expand(64, 3, 32, 32).contiguous()  # 64 copies of one image
    loader = DeviceLoader(
        images, torch.zeros(64, dtype=torch.int64), batch_size=64, augment=STANDARD, **CIFAR_LIKE
    )
    X, _ = next(iter(loader))
    distinct = {bytes(x.numpy()) for x in X}
    assert len(distinct) > 30  # 81 crops x 2 flips to choose from


def test_order_and_augmentation_follow_seed_and_epoch():
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


@pytest.mark.parametrize("num_workers", [0, 1])
def test_fast_path_and_plain_path_give_identical_batches(num_workers):
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


def test_epoch_plan_without_shuffle_or_augmentation():
    order, params = epoch_plan(6, seed=0, epoch=9, shuffle=False, augment=Augment())
    assert order.tolist() == list(range(6)) and params is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_batches_on_the_gpu_equal_those_on_the_cpu():
    images, labels = random_images(100), torch.arange(100) % 10
    kwargs = dict(batch_size=32, augment=STANDARD, shuffle=True, **CIFAR_LIKE)
    on_gpu = DeviceLoader(images, labels, device="cuda", **kwargs)
    X, y = next(iter(on_gpu))
    assert X.device.type == "cuda" and on_gpu.images.device.type == "cuda"
    cpu = all_batches(DeviceLoader(images, labels, **kwargs))
    on_gpu.set_epoch(0)
    for (X, y), (X_cpu, y_cpu) in zip(all_batches(on_gpu), cpu, strict=True):
        assert torch.equal(y, y_cpu) and np.allclose(X.numpy(), X_cpu.numpy(), atol=1e-5)


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
