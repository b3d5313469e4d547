"""course_lib.data.datasets: the real on-disk formats through torchvision's own classes.

The tests write small files in the formats the datasets are distributed in (MNIST's idx files,
CIFAR's pickles written the way Python 2 wrote them) and read them through the real torchvision
dataset classes. Nothing is downloaded: every test is offline or has its files in place.
"""

import hashlib
import io
import pickle
import struct
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
import torchvision
import torchvision.transforms as T

from course_lib.data import (
    NORMALIZATIONS,
    DatasetNotFoundError,
    data_root,
    load_data,
    load_images,
)

pytestmark = pytest.mark.usefixtures("no_downloads")


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


def test_written_cifar_pickles_look_like_the_real_ones(tmp_path, monkeypatch):
    write_cifar(tmp_path, monkeypatch, 10)
    raw = (tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes()
    entry = pickle.loads(raw, encoding="bytes")  # as the CIFAR page says to read them
    assert set(entry) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert entry[b"data"].dtype == np.uint8 and entry[b"data"].shape == (8, 3072)
    keys = set(pickle.loads(raw, encoding="latin1"))  # as torchvision reads them
    assert keys == {"batch_label", "labels", "data", "filenames"}


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_idx_files_through_torchvision(tmp_path, name, folder, capsys, write_mnist):
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


def test_mnist_at_32_is_resize_then_to_tensor(tmp_path, write_mnist):
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
