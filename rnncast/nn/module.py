"""Parameter storage shared by every layer: one flat buffer, named views into it.

Each layer keeps all of its parameters in one contiguous 1-D array, ``flat_params``,
and exposes them by PyTorch's names as views (``params["weight_hh_l0"]``). Gradients
live the same way in ``flat_grads`` / ``grads``. Optimizers and gradient clipping then
work on one array per layer instead of one per tensor, which matters when a training
step on a small network costs only microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnncast.errors import ShapeError, StateDictError

_DTYPES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype) -> np.dtype:
    """Return float32 or float64 as a NumPy dtype; anything else is an error."""
    resolved = np.dtype(_DTYPES.get(dtype, dtype) if isinstance(dtype, str) else dtype)
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}.")
    return resolved


CACHE_LINE = 64  # bytes


def aligned_zeros(size: int, dtype) -> np.ndarray:
    """A 1-D array of zeros whose data start on a cache line (NumPy's own start on 16
    bytes). The compiled loops read W_hh and W_hh^T every step through BLAS, which
    ran a step's products 10% to 15% faster from a cache-line start (measured with
    OpenBLAS at hidden 128)."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.zeros(size + CACHE_LINE // itemsize, dtype=dtype)
    start = (-raw.ctypes.data % CACHE_LINE) // itemsize
    return raw[start : start + size]


def flat_views(flat: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> dict:
    """Views of ``flat``, one per name, of the given shapes, laid out one after another
    in the order of ``shapes``: a module's ``params`` over ``flat_params``, or any buffer
    laid out like them."""
    views, start = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[start : start + size].reshape(shape)
        start += size
    return views


def resolve_rng(seed) -> np.random.Generator:
    """A Generator from a seed, or the Generator itself when one is given."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


class Module:
    """A holder of named parameters in one flat buffer.

    Gradient accumulation follows PyTorch: every ``backward`` *adds* into ``grads``;
    call ``zero_grad()`` before the next step. ``state_dict()`` returns copies in
    PyTorch's names and shapes; ``load_state_dict()`` copies values in place, so
    the views held by optimizers stay valid.
    """

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    flat_params: np.ndarray
    flat_grads: np.ndarray
    training: bool = True
    # what to compare with the source model when load_state_dict finds other shapes
    _size_arguments = "the sizes the module was built with"

    def train(self, mode: bool = True):
        """Training mode (``mode=True``) or evaluation mode; returns the module. Only
        layers with dropout behave differently; every module takes the call, so a loop
        can switch all of them, as with PyTorch's modules."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def _allocate(self, shapes: Mapping[str, tuple[int, ...]], dtype: np.dtype) -> None:
        size = sum(int(np.prod(shape)) for shape in shapes.values())
        self.dtype = dtype
        self.flat_params = aligned_zeros(size, dtype)
        self.flat_grads = aligned_zeros(size, dtype)
        self.params = flat_views(self.flat_params, shapes)
        self.grads = flat_views(self.flat_grads, shapes)

    def __getstate__(self):
        """What ``copy.deepcopy`` and pickle take: the flat buffers, not the views into
        them. Copied one by one, the views would stop aliasing the buffers, and an
        optimizer would update weights the layer never reads; ``__setstate__`` makes
        them again over the copied buffers."""
        state = self.__dict__.copy()
        state["params"] = {name: value.shape for name, value in self.params.items()}
        del state["grads"]
        return state

    def __setstate__(self, state):
        state = dict(state)
        shapes = state.pop("params")
        flat_params, flat_grads = state.pop("flat_params"), state.pop("flat_grads")
        self.__dict__.update(state)
        self._allocate(shapes, flat_params.dtype)
        self.flat_params[...] = flat_params
        self.flat_grads[...] = flat_grads

    @property
    def num_parameters(self) -> int:
        return self.flat_params.size

    def zero_grad(self) -> None:
        self.flat_grads[...] = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        return {name: value.copy() for name, value in self.params.items()}

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Copy arrays (NumPy, or anything ``np.asarray`` takes) into the parameters.

        Keys and shapes must match exactly; values are cast to this layer's dtype. Every
        key and shape is checked before anything is copied, so a mismatch leaves the
        parameters as they were.
        """
        name = type(self).__name__
        missing = sorted(set(self.params) - set(state))
        unexpected = sorted(set(state) - set(self.params))
        if missing or unexpected:
            raise StateDictError(
                f"{name}.load_state_dict: missing keys {missing}, unexpected keys "
                f"{unexpected}. Expected exactly {sorted(self.params)}."
                + _prefix_hint(state, self.params))
        values = {key: np.asarray(state[key]) for key in self.params}
        wrong = [f"'{key}' has shape {values[key].shape}, expected {target.shape}"
                 for key, target in self.params.items() if values[key].shape != target.shape]
        if wrong:
            raise ShapeError(
                f"{name}.load_state_dict: {'; '.join(wrong)}. Nothing was loaded. Check "
                f"{self._size_arguments} against the source model.")
        for key, target in self.params.items():
            np.copyto(target, values[key], casting="unsafe")


def _prefix_hint(state: Mapping, expected: Mapping) -> str:
    """A hint when the given keys are the expected ones behind a common prefix, as in a
    submodule's entries of a larger PyTorch model's state_dict (``"rnn.weight_ih_l0"``)."""
    keys = [str(key) for key in state]
    prefixes = {key[: len(key) - len(name)] for key in keys for name in expected
                if key.endswith(name) and len(key) > len(name)}
    for prefix in sorted(prefixes):
        stripped = {key.removeprefix(prefix) for key in keys if key.startswith(prefix)}
        if stripped == set(expected):
            return (f" The keys carry the prefix '{prefix}': pass "
                    f"{{key.removeprefix('{prefix}'): value for key, value in "
                    f"state.items() if key.startswith('{prefix}')}}.")
    return ""
