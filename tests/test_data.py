"""course_lib.data: real on-disk formats through torchvision's own classes, stand-ins, profiles.

The tests write small files in the formats the datasets are distributed in (MNIST's idx files,
CIFAR's pickles written the way Python 2 wrote them) and read them through the real torchvision
dataset classes. Nothing is downloaded: every test is offline or has its files in place.
"""

import contextlib
import hashlib
import io
import pickle
import struct
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T

from course_lib.data import (
    NORMALIZATIONS,
    Augment,
    DatasetNotFoundError,
    Loader,
    channel_stats,
    data_root,
    digits_standin,
    load_data,
    load_images,
    shapes_standin,
)

# ---------------------------------------------------------------- files in the real formats


def write_idx(path: Path, array: np.ndarray) -> None:
    """An idx file as MNIST's: magic (0, 0, 0x08 for uint8, dimensions), sizes, then the data."""
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, folder: str, n_train: int = 40, n_test: int = 20) -> dict:
    """Write ``<root>/<folder>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (uncompressed:
    torchvision reads these names, and only unpacks the ``.gz`` files it downloads itself)."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
        arrays[split] = (images, labels)
    return arrays


class Python2Pickler(pickle._Pickler):
    """Writes ``bytes`` with Python 2's ``str`` opcodes, as the CIFAR pickles (made by Python 2)
    hold their keys, label names and array data. Read back with ``encoding="bytes"`` they are
    bytes, with ``encoding="latin1"`` (what torchvision uses) they are str."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def write_pickle(path: Path, obj: dict) -> None:
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=2).dump(obj)
    path.write_bytes(buffer.getvalue())


def cifar_batch(rng, n: int, num_classes: int, label_key: bytes) -> tuple[dict, np.ndarray]:
    """One batch as in the CIFAR pickles: rows of 3072 bytes (1024 red, 1024 green, 1024 blue)."""
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(i % num_classes) for i in range(n)]
    batch = {b"batch_label": b"batch", label_key: labels, b"data": data}
    batch[b"filenames"] = [f"image_{i}.png".encode() for i in range(n)]
    if num_classes == 100:
        batch[b"coarse_labels"] = [label // 5 for label in labels]
    return batch, data.reshape(n, 3, 32, 32)


def write_cifar(root: Path, monkeypatch, num_classes: int, per_file: int = 8) -> dict:
    """The CIFAR-10 or CIFAR-100 python folder, with torchvision's checksum table pointed at it.

    torchvision checks every file's md5 against the official archive's. We replace only the
    class's table of expected checksums by those of the files written here; the integrity check
    itself (``check_integrity``, which hashes each file) runs unchanged.
    """
    cls = torchvision.datasets.CIFAR10 if num_classes == 10 else torchvision.datasets.CIFAR100
    folder = root / cls.base_folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(num_classes)
    label_key = b"labels" if num_classes == 10 else b"fine_labels"
    names = [f"class_{i}".encode() for i in range(num_classes)]
    if num_classes == 10:
        meta = {b"num_cases_per_batch": per_file, b"label_names": names, b"num_vis": 3072}
    else:  # CIFAR-100 keeps a split in one file, and names its 20 superclasses too
        meta = {b"fine_label_names": names, b"coarse_label_names": [b"superclass"] * 20}
        per_file *= 5
    write_pickle(folder / cls.meta["filename"], meta)
    arrays = {}
    for file_name, _ in cls.train_list + cls.test_list:
        batch, images = cifar_batch(rng, per_file, num_classes, label_key)
        write_pickle(folder / file_name, batch)
        arrays[file_name] = (images, np.array(batch[label_key]))

    def md5(name: str) -> str:
        return hashlib.md5((folder / name).read_bytes()).hexdigest()

    monkeypatch.setattr(cls, "train_list", [[f, md5(f)] for f, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[f, md5(f)] for f, _ in cls.test_list])
    monkeypatch.setattr(cls, "meta", {**cls.meta, "md5": md5(cls.meta["filename"])})
    return arrays


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch, tmp_path):
    """Every test runs offline, with an empty data folder unless it writes one."""
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "empty"))


# ---------------------------------------------------------------- real formats, real classes


def test_written_cifar_pickles_look_like_the_real_ones(tmp_path, monkeypatch):
    write_cifar(tmp_path, monkeypatch, 10)
    raw = (tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes()
    entry = pickle.loads(raw, encoding="bytes")  # as the CIFAR page says to read them
    assert set(entry) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert entry[b"data"].dtype == np.uint8 and entry[b"data"].shape == (8, 3072)
    keys = set(pickle.loads(raw, encoding="latin1"))  # as torchvision reads them
    assert keys == {"batch_label", "labels", "data", "filenames"}


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_idx_files_through_torchvision(tmp_path, name, folder, capsys):
    arrays = write_mnist(tmp_path, folder)
    train = load_images(name, profile="full", root=tmp_path, image_size=28)
    assert not train.standin and capsys.readouterr().out == ""
    assert train.images.dtype == torch.uint8 and train.images.shape == (40, 1, 28, 28)
    assert torch.equal(train.images[:, 0], torch.from_numpy(arrays["train"][0]))
    assert torch.equal(train.labels, torch.from_numpy(arrays["train"][1]).long())
    assert train.labels.dtype == torch.int64
    assert train.classes == getattr(torchvision.datasets, folder).classes
    test = load_images(name, profile="full", root=tmp_path, train=False, image_size=28)
    assert torch.equal(test.images[:, 0], torch.from_numpy(arrays["t10k"][0]))


def test_mnist_at_32_is_resize_then_to_tensor(tmp_path):
    """MNIST as the LeNet-5 paper's code prepares it: Resize((32, 32)), then ToTensor()."""
    write_mnist(tmp_path, "MNIST")
    pipeline = T.Compose([T.Resize((32, 32)), T.ToTensor()])
    reference = torchvision.datasets.MNIST(tmp_path, train=False, transform=pipeline)
    expected = torch.stack([reference[i][0] for i in range(len(reference))])  # (20, 1, 32, 32)
    images = load_images("mnist", profile="full", root=tmp_path, train=False).images
    assert torch.equal(images.float() / 255, expected)
    data = load_data("mnist", profile="full", root=tmp_path, batch_size=20)
    X, y = next(iter(data.test))
    assert data.image_size == (32, 32) and data.train.dataset_size == 40 and not data.standin
    assert torch.allclose(X, expected, atol=1e-6)  # no normalisation: values in [0, 1]


@pytest.mark.parametrize("num_classes", [10, 100])
def test_cifar_pickles_through_torchvision(tmp_path, monkeypatch, num_classes):
    arrays = write_cifar(tmp_path, monkeypatch, num_classes)
    name = "cifar10" if num_classes == 10 else "cifar100"
    train = load_images(name, profile="full", root=tmp_path)
    first = "data_batch_1" if num_classes == 10 else "train"
    assert train.images.shape == (40, 3, 32, 32)
    assert torch.equal(train.images[:8], torch.from_numpy(arrays[first][0][:8]))  # CHW order kept
    assert train.classes == [f"class_{i}" for i in range(num_classes)] and not train.standin
    test = load_images(name, profile="full", root=tmp_path, train=False)
    test_file = "test_batch" if num_classes == 10 else "test"
    assert torch.equal(test.labels, torch.from_numpy(arrays[test_file][1]).long())


def test_cifar_normalisation_matches_torchvision_pipeline(tmp_path, monkeypatch):
    write_cifar(tmp_path, monkeypatch, 10)
    mean, std = NORMALIZATIONS["cifar10"]
    pipeline = T.Compose([T.ToTensor(), T.Normalize(mean, std)])
    reference = torchvision.datasets.CIFAR10(tmp_path, train=False, transform=pipeline)
    expected = torch.stack([reference[i][0] for i in range(len(reference))])
    data = load_data("cifar10", profile="full", root=tmp_path, batch_size=5, normalize="cifar10")
    X = torch.cat([X for X, _ in data.test])
    assert torch.allclose(X, expected, atol=1e-5)
    assert data.classes == [f"class_{i}" for i in range(10)]


def test_subsets_are_disjoint_and_follow_the_seed(tmp_path):
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


# ---------------------------------------------------------------- offline, profiles, stand-ins


def test_quick_offline_announces_the_standin(capsys):
    data = load_data("cifar10", profile="quick", batch_size=50, train_size=100, test_size=50)
    out = capsys.readouterr().out
    assert out.startswith("Stand-in data: CIFAR-10 could not be loaded (offline")
    assert "100 training and 50 test images" in out and "not comparable" in out
    assert data.standin and "stand-in" in data.description


def test_fashion_mnist_standin_says_it_is_digits(capsys):
    data = load_data("fashion_mnist", profile="quick", batch_size=32, train_size=64, test_size=0)
    assert "digits, not clothing" in capsys.readouterr().out
    assert data.classes == torchvision.datasets.FashionMNIST.classes and data.image_size == (28, 28)


def test_full_offline_raises_with_how_to():
    with pytest.raises(DatasetNotFoundError, match="internet") as error:
        load_data("cifar100", profile="full", batch_size=32)
    assert isinstance(error.value, RuntimeError)
    assert str(data_root() / "cifar-100-python") in str(error.value)


def test_failed_download_falls_back_in_quick_only(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "0")

    def no_network(self):
        raise URLError("no network")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", no_network)
    data = load_data("mnist", profile="quick", batch_size=32, train_size=32, test_size=32)
    assert data.standin and "download failed" in capsys.readouterr().out
    with pytest.raises(DatasetNotFoundError, match="download failed.*COURSE_DATA"):
        load_data("mnist", profile="full", batch_size=32)


def test_data_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path / "mine"))
    assert data_root() == tmp_path / "mine"
    monkeypatch.delenv("COURSE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_root() == tmp_path / "cache" / "course_lib" / "data"


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


def test_standins_are_balanced_and_splits_differ():
    train, train_labels = digits_standin(1437)
    test, _ = digits_standin(360, train=False)
    assert torch.bincount(train_labels).min() > 100  # every digit present in numbers
    train_set = {bytes(x.numpy()) for x in train[:, :, 4:24, 4:24]}
    assert not any(bytes(x.numpy()) in train_set for x in test[:, :, 4:24, 4:24])
    images, labels = shapes_standin(300, 100)
    assert (
        torch.bincount(labels, minlength=100).tolist() == [3] * 100 and images.dtype == torch.uint8
    )
    assert not torch.equal(shapes_standin(10)[0], shapes_standin(10, train=False)[0])


def test_channel_stats_matches_numpy():
    images = torch.randint(0, 256, (20, 3, 8, 8), dtype=torch.uint8)
    mean, std = channel_stats(images)
    array = images.numpy().astype(np.float64) / 255
    assert np.allclose(mean, array.mean(axis=(0, 2, 3)), atol=1e-6)
    assert np.allclose(std, array.std(axis=(0, 2, 3)), atol=1e-6)


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


# ---------------------------------------------------------------- stand-ins are learnable


def tiny_cnn(in_channels: int, num_classes: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, num_classes),
    )  # fmt: skip


@pytest.fixture
def one_thread():
    """Two pytest workers on two cores: one thread each avoids oversubscription."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(
    "name, train_size, normalize, chance, minimum",
    [
        ("mnist", 800, "mnist", 0.1, 0.4),
        ("fashion_mnist", 800, "fashion_mnist", 0.1, 0.3),
        ("cifar10", 800, "tutorial", 0.1, 0.3),
        ("cifar100", 2000, "tutorial", 0.01, 0.05),
    ],
)
def test_small_cnn_learns_each_standin_in_one_epoch(
    name, train_size, normalize, chance, minimum, one_thread
):
    with contextlib.redirect_stdout(io.StringIO()):
        data = load_data(name, profile="quick", batch_size=16, train_size=train_size, test_size=400,
                         normalize=normalize)  # fmt: skip
    torch.manual_seed(0)
    model = tiny_cnn(data.in_channels, data.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for X, y in data.train:
        loss = nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(X).argmax(1) == y).sum().item() for X, y in data.test)
    accuracy = correct / data.test.dataset_size
    assert accuracy > minimum, f"{name}: test accuracy {accuracy:.3f}, chance {chance}"


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


def test_smoke_run_keeps_a_real_dataset_but_only_its_first_images(tmp_path, monkeypatch, capsys):
    write_mnist(tmp_path, "MNIST", n_train=40, n_test=20)
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setattr("course_lib.profile.SMOKE_IMAGES", 8)
    monkeypatch.setattr("course_lib.data.datasets.SMOKE_IMAGES", 8)
    data = load_data("mnist", profile="full", batch_size=4, root=tmp_path, val_size=4)
    assert not data.standin and "8 train / 4 val / 8 test images" in data.description


def test_edition_notice_says_profile_standin_and_how_to_run_full(tmp_path, monkeypatch):
    from course_lib.data import edition_notice

    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    notice = edition_notice("quick", "mnist", {"training": 1200, "test": 200})
    assert "quick profile" in str(notice) and "1,200 training and 200 test stand-in" in str(notice)
    assert "scikit-learn's handwritten digits" in str(notice) and "COURSE_PROFILE" in str(notice)
    assert '<div class="admonition warning">' in notice._repr_html_()
    assert edition_notice("full", "mnist", {"training": 60_000}) is None
    write_mnist(tmp_path, "MNIST")
    notice = edition_notice("quick", "mnist", {"training": 1200}, root=tmp_path)
    assert "1,200 training images of MNIST" in str(notice) and "stand-in" not in str(notice)
    monkeypatch.setenv("COURSE_SMOKE", "1")
    notice = str(edition_notice("full", "mnist", {"training": 60_000, "validation": 0}))
    assert "Smoke run" in notice and "512 training stand-in images" in notice
