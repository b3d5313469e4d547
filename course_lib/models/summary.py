"""Parameter counts and layer-by-layer output shapes of a model.

``layer_summary`` runs one forward pass and records what each layer outputs, as d2l's
``layer_summary`` and the ``torchsummary`` package print it; ``torchsummary`` lays the table
out exactly as that package does (every module but the containers, numbered rows, the batch
size the document used, the memory sizes at the foot); ``count_parameters`` counts weights,
and says so when lazy layers have not been initialized yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.parameter import is_lazy


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Count the parameters of a model.

    Args:
        model: the network; its lazy layers (``nn.LazyConv2d`` ...) must be initialized.
        trainable_only: count only parameters with ``requires_grad=True``.

    Returns:
        The number of scalar parameters.

    Example:
        >>> count_parameters(nn.Conv2d(1, 6, kernel_size=5))  # 6 * 1 * 5 * 5 weights + 6 biases
        156
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"count_parameters expects an nn.Module, got {type(model).__name__}")
    params = list(model.parameters())
    if any(is_lazy(p) for p in params):
        raise ValueError(
            "the model still has uninitialized lazy parameters, whose size is not known yet; "
            "run one forward pass first, e.g. with layer_summary(model, input_shape)"
        )
    return sum(p.numel() for p in params if p.requires_grad or not trainable_only)


@dataclass
class LayerSummary:
    """The output shape and parameter count of each reported layer, from one forward pass.

    Attributes:
        rows: one (name, type name, output shape, number of parameters) per layer call, in order.
        input_shape: the shape of the input the model ran on.
        total_params: all parameters of the model.
        trainable_params: those with ``requires_grad=True``.
    """

    rows: list[tuple[str, str, tuple[int, ...], int]]
    input_shape: tuple[int, ...]
    total_params: int
    trainable_params: int

    def shapes(self) -> list[tuple[int, ...]]:
        """Return the output shapes of the layers, in order."""
        return [shape for _, _, shape, _ in self.rows]

    def d2l(self) -> str:
        """Return one line per layer, as d2l prints them: ``Conv2d output shape:\\t [...]``."""
        return "\n".join(
            f"{kind} output shape:\t {torch.Size(shape)}" for _, kind, shape, _ in self.rows
        )

    def __str__(self) -> str:
        """Return a torchsummary-style table with the totals."""
        table = [("Layer (type)", "Output shape", "Param #")] + [
            (f"{name} ({kind})" if name else kind, str(list(shape)), f"{n:,}")
            for name, kind, shape, n in self.rows
        ]
        w = [max(len(row[c]) for row in table) for c in range(3)]
        lines = [f"{a:<{w[0]}}   {b:<{w[1]}}   {c:>{w[2]}}" for a, b, c in table]
        rule = "-" * len(lines[0])
        non_trainable = self.total_params - self.trainable_params
        return "\n".join(
            [f"Input shape: {list(self.input_shape)}", rule, lines[0], "=" * len(rule)]
            + lines[1:]
            + [
                "=" * len(rule),
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {non_trainable:,}",
                rule,
            ]
        )


def layer_macs(summary: LayerSummary) -> list[tuple[str, str, int, int]]:
    """Multiply-adds of one forward pass of one image, per convolution and linear layer.

    A convolution's output ``(1, C_o, H_o, W_o)`` has ``C_o`` biases, and each of its
    ``params - C_o`` weights takes part in one multiply-add per output position; a linear
    layer's weights take part once. Other layers (activations, pooling) are left out.

    Args:
        summary: the ``layer_summary`` of the model, for a batch of one image, ``depth=None``.

    Returns:
        ``(name, kind, parameters, multiply-adds)`` per convolution and linear layer, in order.

    Example:
        >>> from torch import nn
        >>> net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3))
        >>> layer_macs(layer_summary(net, (1, 1, 4, 4), depth=None))
        [('0', 'Conv2d', 20, 72), ('2', 'Linear', 27, 24)]
    """
    rows = []
    for name, kind, shape, params in summary.rows:
        if kind == "Conv2d":
            rows.append((name, kind, params, (params - shape[1]) * shape[2] * shape[3]))
        elif kind == "Linear":
            rows.append((name, kind, params, params - shape[-1]))
    return rows


def _first_shape(output) -> tuple[int, ...] | None:
    """The shape of a module's output, or of the first tensor in a tuple, list or dict output."""
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        for item in output:
            shape = _first_shape(item)
            if shape is not None:
                return shape
    return None


def layer_summary(
    model: nn.Module,
    input_shape: tuple[int, ...],
    depth: int | None = 1,
    device=None,
    dtype=torch.float32,
) -> LayerSummary:
    """Run one forward pass on random input and record each layer's output shape and parameters.

    The pass runs under ``torch.no_grad()`` in eval mode; each module's train/eval mode is restored
    afterwards. It initializes lazy layers (``nn.LazyConv2d`` ...), so the parameters are counted
    after it. The input comes from a private generator: the global random state is not used for
    it (initializing lazy layers does use it, as any initialization does).

    Args:
        model: the network.
        input_shape: shape of the input, e.g. (1, 1, 28, 28) for one MNIST image.
        depth: 1 reports the direct children (what d2l iterates over in an ``nn.Sequential``);
            k reports the modules k levels down (and leaves above); None reports every leaf
            module, as torchsummary does.
        device: where to run; by default the device of the model's first parameter, else CPU.
        dtype: dtype of the random input.

    Returns:
        A ``LayerSummary``: print it for a table, ``.d2l()`` for d2l's lines, ``.shapes()``.

    Example:
        >>> net = nn.Sequential(nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Flatten())
        >>> summary = layer_summary(net, (1, 1, 28, 28))
        >>> summary.shapes(), summary.total_params
        ([(1, 6, 28, 28), (1, 4704)], 156)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"layer_summary expects an nn.Module, got {type(model).__name__}")
    if (
        not isinstance(input_shape, (tuple, list))
        or not input_shape
        or not all(type(n) is int and n > 0 for n in input_shape)
    ):
        raise ValueError(
            f"input_shape must be a tuple of positive ints, e.g. (1, 1, 28, 28), "
            f"got {input_shape!r}"
        )
    if depth is not None and (type(depth) is not int or depth < 1):
        raise ValueError(f"depth must be a positive int or None (every leaf), got {depth!r}")

    def reported(name: str, module: nn.Module) -> bool:
        is_leaf = next(module.children(), None) is None
        if depth is None:
            return is_leaf
        level = name.count(".") + 1 if name else 0
        return level == depth or (is_leaf and 0 < level < depth)

    targets = [(n, m) for n, m in model.named_modules() if reported(n, m)] or [("", model)]
    if device is None:
        tensors = [*model.parameters(), *model.buffers()]
        device = tensors[0].device if tensors else torch.device("cpu")
    generator = torch.Generator(device=device).manual_seed(0)
    X = torch.randn(tuple(input_shape), generator=generator, device=device, dtype=dtype)

    calls: list[tuple[str, nn.Module, tuple[int, ...]]] = []
    handles = [
        module.register_forward_hook(
            lambda mod, args, out, name=name: calls.append((name, mod, _first_shape(out) or ()))
        )
        for name, module in targets
    ]
    modes = {module: module.training for module in model.modules()}
    try:
        model.eval()
        with torch.no_grad():
            model(X)
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            module.training = training

    rows = [(name, type(mod).__name__, shape, count_parameters(mod)) for name, mod, shape in calls]
    total = count_parameters(model)
    return LayerSummary(rows, tuple(input_shape), total, count_parameters(model, True))


# torchsummary leaves these containers out of its table and lists every other module.
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


@dataclass
class TorchSummary(LayerSummary):
    """A table as the ``torchsummary`` package prints it (``torchsummary.summary``).

    Rows list every module but the model itself and its containers (``nn.Sequential``,
    ``nn.ModuleList``), in the order their forward calls finish, so a block comes after its
    layers; each row counts only the module's own parameters (a block holds none of its own).
    The first entry of every output shape is ``batch_size``, as torchsummary shows it.

    Attributes:
        batch_size: the batch size shown in the shapes and used for the memory sizes (-1: per
            image, torchsummary's default).
    """

    batch_size: int = -1

    def sizes_mb(self) -> dict[str, float]:
        """The memory estimates at the foot of torchsummary's table, in MB (2**20 bytes).

        Returns:
            ``input``, ``forward_backward`` (every row's output in float32, twice: values and
            gradients), ``params`` and ``total``.
        """
        batch = abs(self.batch_size)
        mb = 4 / 2**20  # float32
        sizes = {
            "input": math.prod(self.input_shape) * batch * mb,
            "forward_backward": 2 * sum(math.prod(s[1:]) * batch for s in self.shapes()) * mb,
            "params": self.total_params * mb,
        }
        sizes["total"] = sum(sizes.values())
        return sizes

    def __str__(self) -> str:
        """Return the table in torchsummary's layout: ``Conv2d-1  [500, 16, 32, 32]  2,368``."""
        rule, double = "-" * 64, "=" * 64
        lines = [rule, f"{'Layer (type)':>20}  {'Output Shape':>25} {'Param #':>15}", double]
        for index, (_, kind, shape, n) in enumerate(self.rows, start=1):
            lines.append(f"{f'{kind}-{index}':>20}  {str(list(shape)):>25} {n:>15,}")
        sizes = self.sizes_mb()
        lines += [
            double,
            f"Total params: {self.total_params:,}",
            f"Trainable params: {self.trainable_params:,}",
            f"Non-trainable params: {self.total_params - self.trainable_params:,}",
            rule,
            f"Input size (MB): {sizes['input']:.2f}",
            f"Forward/backward pass size (MB): {sizes['forward_backward']:.2f}",
            f"Params size (MB): {sizes['params']:.2f}",
            f"Estimated Total Size (MB): {sizes['total']:.2f}",
            rule,
        ]
        return "\n".join(lines)


def torchsummary(
    model: nn.Module, input_size: tuple[int, ...], batch_size: int = -1, device=None
) -> TorchSummary:
    """The table ``torchsummary.summary(model, input_size, batch_size)`` prints, without it.

    Documents that used the ``torchsummary`` package print its tables; this builds the same
    table for a course model, so the two can be compared row by row. Like torchsummary, it runs
    a batch of two random inputs (here in eval mode, without gradients, modes restored) and
    writes ``batch_size`` in place of the batch dimension.

    Args:
        model: the network.
        input_size: the shape of one input without the batch, e.g. ``(3, 32, 32)``.
        batch_size: shown as the first dimension of every output shape, and used for the
            memory sizes; -1 (torchsummary's default) for a single input.
        device: where to run; by default the device of the model's first parameter.

    Returns:
        A ``TorchSummary``: ``rows`` are (module name, type, output shape, own parameters).

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.Flatten(), nn.Linear(4704, 10))
        >>> summary = torchsummary(net, (3, 32, 32), batch_size=500)
        >>> summary.rows[0], summary.total_params
        (('0', 'Conv2d', (500, 6, 28, 28), 456), 47506)
    """
    if type(batch_size) is not int or batch_size == 0 or batch_size < -1:
        raise ValueError(f"batch_size must be a positive int or -1, got {batch_size!r}")
    rows = []

    def record(name: str, module: nn.Module, output) -> None:
        shape = _first_shape(output) or ()
        own = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append((name, type(module).__name__, (batch_size, *shape[1:]), own))

    listed = [
        (name, module)
        for name, module in model.named_modules()
        if name and not isinstance(module, _CONTAINERS)
    ]
    handles = [
        module.register_forward_hook(lambda mod, args, out, name=name: record(name, mod, out))
        for name, module in listed
    ]
    try:
        summary = layer_summary(model, (2, *input_size), depth=1, device=device)
    finally:
        for handle in handles:
            handle.remove()
    return TorchSummary(
        rows, tuple(input_size), summary.total_params, summary.trainable_params, batch_size
    )
