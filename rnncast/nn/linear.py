"""A fully connected layer, ``torch.nn.Linear`` in NumPy: y = x W^T + b."""

from __future__ import annotations

import numpy as np

from rnncast.errors import ShapeError
from rnncast.nn.module import Module, resolve_dtype, resolve_rng


class Linear(Module):
    """y = x W^T + b over the last axis of x.

    Parameters ``weight`` (out_features, in_features) and ``bias`` (out_features,),
    initialised like PyTorch's (uniform in +-1/sqrt(in_features)). Gradients accumulate
    in ``grads`` across ``backward`` calls until ``zero_grad()``.
    """

    _size_arguments = "in_features and out_features"

    def __init__(self, in_features: int, out_features: int, *, dtype="float32", seed=None):
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._allocate({"weight": (self.out_features, self.in_features),
                        "bias": (self.out_features,)}, resolve_dtype(dtype))
        bound = 1.0 / np.sqrt(self.in_features)
        self.flat_params[...] = resolve_rng(seed).uniform(-bound, bound, self.flat_params.size)
        self._input = None

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"dtype='{self.dtype.name}')")

    def forward(self, x):
        """x (..., in_features) -> (..., out_features)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ShapeError(f"Linear expects input (..., {self.in_features}), got {x.shape}.")
        self._input = x
        return x @ self.params["weight"].T + self.params["bias"]

    __call__ = forward

    def backward(self, d_output):
        """d_output (..., out_features) -> d_x (..., in_features); adds into ``grads``."""
        if self._input is None:
            raise RuntimeError("Linear.backward called before forward.")
        d_output = np.asarray(d_output, dtype=self.dtype)
        expected = self._input.shape[:-1] + (self.out_features,)
        if d_output.shape != expected:
            raise ShapeError(f"d_output has shape {d_output.shape}, expected {expected}.")
        d_rows = d_output.reshape(-1, self.out_features)
        self.grads["weight"] += d_rows.T @ self._input.reshape(-1, self.in_features)
        self.grads["bias"] += d_rows.sum(axis=0)
        return d_output @ self.params["weight"]
