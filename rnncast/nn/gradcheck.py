"""Check analytic gradients against central finite differences, in float64.

The error reported for each array is

    max_k |analytic_k - numeric_k| / max(max_k |analytic_k|, max_k |numeric_k|)

the worst element's error relative to that array's gradient scale: near 1e-9 when the
backward pass is right, of order 1 when a term is missing (the seed notebook's
``dW_xh`` scores 2.9). Elementwise ratios are not used because elements whose
gradient is almost zero make them meaningless.
"""

from __future__ import annotations

import copy

import numpy as np

from rnncast.nn.module import Module
from rnncast.nn.recurrent import Recurrent


def relative_error(analytic, numeric) -> float:
    """Worst absolute difference over the larger of the two gradients' max-norms."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
    if scale == 0.0:
        return 0.0
    return float(np.abs(analytic - numeric).max() / scale)


def numerical_gradient(objective, array, eps=1e-6):
    """Central differences of ``objective()`` with respect to ``array``, changed in place."""
    grad = np.zeros(array.shape, np.float64)
    flat = array.reshape(-1)  # a view: writing it changes what objective reads
    for k in range(flat.size):
        saved = flat[k]
        flat[k] = saved + eps
        plus = objective()
        flat[k] = saved - eps
        minus = objective()
        flat[k] = saved
        grad.reshape(-1)[k] = (plus - minus) / (2 * eps)
    return grad


def as_float64(layer: Module) -> Module:
    """A float64 copy of a layer, same parameters; the original is untouched."""
    copied = copy.deepcopy(layer)
    values = {name: value.astype(np.float64) for name, value in layer.params.items()}
    shapes = {name: value.shape for name, value in values.items()}
    copied._allocate(shapes, np.dtype(np.float64))
    copied.load_state_dict(values)
    return copied


def check_gradients(layer: Module, x, state=None, *, eps: float = 1e-6, seed=0):
    """Worst relative error of every gradient a layer's ``backward`` gives.

    Parameters
    ----------
    layer : RNN, GRU, LSTM or Linear
        Checked on a float64 copy; the layer itself is not changed.
    x : array
        Input, ``(batch, time, input_size)`` for recurrent layers, ``(..., in)`` for Linear.
    state : optional initial state of a recurrent layer; checked too when given.
    eps : float
        Finite-difference step.
    seed : int
        Seed of the random output gradients the objective ``sum(outputs * G)`` uses.

    Returns
    -------
    dict
        ``{"input": err, "initial_h": err, "initial_c": err, "<parameter name>": err}``,
        the initial-state entries only when ``state`` was given.

    Dropout, when the layer has it and is training, draws the same mask at every
    evaluation, so its backward is checked too.
    """
    recurrent = isinstance(layer, Recurrent)
    if state is not None and not recurrent:
        raise ValueError(f"state is the initial state of a recurrent layer; "
                         f"{type(layer).__name__} takes none. Leave state=None.")
    layer = as_float64(layer)
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    if recurrent:
        parts = 2 if layer.has_cell_state else 1
        states = [None] * parts if state is None else list(state) if parts == 2 else [state]
        states = [None if s is None else np.array(s, dtype=np.float64) for s in states]
        state_names = ["initial_h", "initial_c"][: len(states)]
        mask_rng_state = copy.deepcopy(layer._rng.bit_generator.state)

        def run():
            layer._rng.bit_generator.state = copy.deepcopy(mask_rng_state)
            packed = tuple(states) if layer.has_cell_state else states[0]
            given = None if all(s is None for s in states) else packed
            outputs, final = layer.forward(x, given)
            return outputs, final if layer.has_cell_state else (final,)

        outputs, finals = run()
        d_outputs = rng.standard_normal(outputs.shape)
        d_finals = [rng.standard_normal(f.shape) for f in finals]

        def objective():
            outputs, finals = run()
            return float(np.sum(outputs * d_outputs)
                         + sum(np.sum(f * d) for f, d in zip(finals, d_finals)))

        run()
        layer.zero_grad()
        d_final = tuple(d_finals) if layer.has_cell_state else d_finals[0]
        d_x, d_state = layer.backward(d_outputs, d_final)
        d_states = list(d_state) if layer.has_cell_state else [d_state]
        errors = {"input": relative_error(d_x, numerical_gradient(objective, x, eps))}
        for name, s, ds in zip(state_names, states, d_states):
            if s is not None:
                errors[name] = relative_error(ds, numerical_gradient(objective, s, eps))
    else:
        d_outputs = rng.standard_normal(layer.forward(x).shape)

        def objective():
            return float(np.sum(layer.forward(x) * d_outputs))

        layer.zero_grad()
        layer.forward(x)
        d_x = layer.backward(d_outputs)
        errors = {"input": relative_error(d_x, numerical_gradient(objective, x, eps))}

    analytic = {name: grad.copy() for name, grad in layer.grads.items()}
    for name, param in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(objective, param, eps))
    return errors


def check_loss_gradients(loss, prediction, target, *, eps: float = 1e-6, **kwargs) -> float:
    """Relative error of a loss's gradient (``loss(prediction, target, **kwargs)``
    returns ``(value, grad)``) against central differences, in float64."""
    prediction = np.array(prediction, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    _, analytic = loss(prediction, target, **kwargs)
    numeric = numerical_gradient(lambda: loss(prediction, target, **kwargs)[0], prediction, eps)
    return relative_error(analytic, numeric)
