"""course_lib.data.transforms: the batched operations against torchvision's per-image ones."""

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.v2.functional as TF
from PIL import Image

from course_lib.data import (
    NORMALIZATIONS,
    Augment,
    DeviceLoader,
    PlainLoader,
    channel_stats,
)
from course_lib.data.transforms import crop_and_flip, draw_params, pad


def crop(images: torch.Tensor, top: int, left: int, padding: int = 4) -> torch.Tensor:
    return crop_and_flip(pad(images, padding), torch.tensor([[top, left, 0, 0]]), Augment(padding))


def test_crop_matches_torchvision_pad_then_crop(random_images):
    images = random_images(16)
    params = draw_params(16, Augment(crop_padding=4), torch.Generator().manual_seed(0))
    cropped = crop_and_flip(pad(images, 4), params, Augment(crop_padding=4))
    for image, (top, left, _, _), result in zip(images, params.tolist(), cropped, strict=True):
        # What RandomCrop(32, padding=4) does to one image:
        expected = TF.crop(TF.pad(image, [4]), top, left, 32, 32)
        assert torch.equal(result, expected)


def test_crop_shifts_content_and_fills_with_zeros(random_images):
    images = random_images(1)
    assert torch.equal(crop(images, 4, 4), images)  # the centred window: unchanged
    shifted = crop(images, 4, 7)  # window 3 pixels to the right: content moves left
    assert torch.equal(shifted[..., :-3], images[..., 3:]) and shifted[..., -3:].eq(0).all()
    shifted = crop(images, 0, 4)  # window 4 pixels up: content moves down
    assert torch.equal(shifted[..., 4:, :], images[..., :-4, :]) and shifted[..., :4, :].eq(0).all()


def test_flips_flip_exactly_the_chosen_images(random_images):
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


def test_crop_then_flips_as_torchvision_composes_them(random_images):
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


def test_resize_matches_pil_resize_then_to_tensor(random_images):
    """Fashion-MNIST at 96, as d2l feeds ResNet: Resize(96) on PIL images, then ToTensor()."""
    images = random_images(4, channels=1, side=28)
    loader = DeviceLoader(
        images, torch.zeros(4, dtype=torch.int64), batch_size=4, mean=(0,), std=(1,), resize=96
    )
    X, _ = next(iter(loader))
    pipeline = T.Compose([T.Resize((96, 96)), T.ToTensor()])
    expected = torch.stack([pipeline(Image.fromarray(image[0].numpy())) for image in images])
    assert X.shape == (4, 1, 96, 96) and (X - expected).abs().max() <= 1 / 255


def test_normalisation_matches_to_tensor_then_normalize(random_images):
    images = random_images(4)
    mean, std = NORMALIZATIONS["cifar10"]
    labels = torch.zeros(4, dtype=torch.int64)
    loader = PlainLoader(images, labels, batch_size=4, mean=mean, std=std)
    X, _ = next(iter(loader))
    pipeline = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    expected = torch.stack(
        [pipeline(Image.fromarray(image.permute(1, 2, 0).numpy())) for image in images]
    )
    assert torch.allclose(X, expected, atol=1e-5)


def test_channel_stats_matches_numpy():
    images = torch.randint(0, 256, (20, 3, 8, 8), dtype=torch.uint8)
    mean, std = channel_stats(images)
    array = images.numpy().astype(np.float64) / 255
    assert np.allclose(mean, array.mean(axis=(0, 2, 3)), atol=1e-6)
    assert np.allclose(std, array.std(axis=(0, 2, 3)), atol=1e-6)
