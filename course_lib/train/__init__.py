"""Training and evaluation: ``fit(model, data, config) -> History`` and ``evaluate``.

- ``config``: ``TrainConfig``, every setting of a run;
- ``loop``: ``fit``, the training loop (mixed precision, resuming, early stopping);
- ``metrics``: ``evaluate`` and ``Metrics`` (loss, accuracy, per-class accuracy, confusion);
- ``history``: ``History``, what a run measured, saved and loaded as JSON;
- ``resume``: the resume file (the run state, written atomically) and ``load_weights``;
- ``setup``: device, precision, optimizer and schedule;
- ``early_stopping``: ``EarlyStopping``;
- ``decoding``: ``fit_decoder`` and ``fit_decoders``, decoders trained on a frozen classifier;
- ``reconstruction``: ``evaluate_decoder(s)`` and ``reconstruct``, what the decoders rebuild.
"""

from .config import TrainConfig
from .decoding import fit_decoder, fit_decoders, load_decoders, save_decoders
from .early_stopping import EarlyStopping
from .history import History
from .loop import fit
from .metrics import Metrics, evaluate
from .reconstruction import DecoderMetrics, evaluate_decoder, evaluate_decoders, reconstruct
from .resume import load_weights
from .setup import choose_device

__all__ = [
    "DecoderMetrics",
    "EarlyStopping",
    "History",
    "Metrics",
    "TrainConfig",
    "choose_device",
    "evaluate",
    "evaluate_decoder",
    "evaluate_decoders",
    "fit",
    "fit_decoder",
    "fit_decoders",
    "load_decoders",
    "load_weights",
    "reconstruct",
    "save_decoders",
]
