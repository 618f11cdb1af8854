"""Elman RNN: the seed notebook's cell, with backpropagation through time done right.

    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)        (relu as an option)

Backward, with dh_t the gradient reaching h_t from the output at t and from step t+1:

    da_t      = dh_t * tanh'(a_t) = dh_t * (1 - h_t^2)
    dh_{t-1}  = da_t W_hh            (the recurrent path)
    dW_hh    += da_t^T h_{t-1}       (h_{t-1}, not h_t: the seed's error 2)

The seed used the final state at every step and never stored h_1..h_T; here the
forward keeps every state in ``states`` (T+1, B, H), which is all backward needs.
"""

from __future__ import annotations

import numpy as np

from rnncast.nn import kernels
from rnncast.nn.recurrent import Recurrent, contiguous_or_none, fresh_array


def rnn_forward(x_proj, h0, weight_hh_t, nonlinearity="tanh"):
    """One layer over time, the NumPy reference.  x_proj (T, B, H) = x W_ih^T + b_ih +
    b_hh; h0 (B, H); weight_hh_t (H, H) = W_hh^T (``recurrent_weight_t``).

    Both biases enter every step the same way, so they are added once, before the loop.
    Returns states (T+1, B, H) with states[0] = h0.
    """
    steps, batch, hidden = x_proj.shape
    states = _forward_buffers(steps, batch, hidden, h0, x_proj.dtype)
    for t in range(steps):
        h = states[t + 1]
        np.matmul(states[t], weight_hh_t, out=h)
        h += x_proj[t]
        if nonlinearity == "tanh":
            np.tanh(h, out=h)
        else:
            np.maximum(h, 0, out=h)
    return states


def _forward_buffers(steps, batch, hidden, h0, dtype):
    states = np.empty((steps + 1, batch, hidden), dtype=dtype)  # the caller's: not reused
    states[0] = h0
    return states


def _backward_buffers(dh_last, outputs, empty):
    """dh (B, H) starting at the gradient reaching the last state; da (T, B, H)."""
    dh = np.zeros(outputs.shape[1:], outputs.dtype) if dh_last is None else dh_last.copy()
    return dh, empty("da", outputs.shape, outputs.dtype)


def rnn_backward(d_outputs, dh_last, states, weight_hh, nonlinearity="tanh",
                 empty=fresh_array, state_grad=True):
    """Backward of ``rnn_forward``, the NumPy reference.

    d_outputs (T, B, H) or None, dh_last (B, H) or None, states (T+1, B, H).
    Returns (da (T, B, H), dh0 (B, H), or None without ``state_grad``): da is the
    gradient of the pre-activations.
    """
    outputs = states[1:]
    steps = outputs.shape[0]
    dh, da = _backward_buffers(dh_last, outputs, empty)
    if nonlinearity == "tanh":
        local = 1 - outputs * outputs  # tanh'(a) = 1 - h^2, all steps at once
    else:
        local = (outputs > 0).astype(outputs.dtype)
    for t in reversed(range(steps)):
        if d_outputs is None:
            np.multiply(dh, local[t], out=da[t])
        else:
            np.add(d_outputs[t], dh, out=da[t])
            da[t] *= local[t]
        np.matmul(da[t], weight_hh, out=dh)
    return da, dh if state_grad else None


class RNN(Recurrent):
    """Elman RNN layers, ``torch.nn.RNN(batch_first=True)`` in NumPy.

    Parameters as ``Recurrent``, plus ``nonlinearity`` ``"tanh"`` (default) or
    ``"relu"``. Parameters per layer ``l``: ``weight_ih_l{l}`` (H, input),
    ``weight_hh_l{l}`` (H, H), ``bias_ih_l{l}`` (H,), ``bias_hh_l{l}`` (H,).
    """

    num_gates = 1
    kernel = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, *, nonlinearity="tanh",
                 **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, **kwargs)

    def _layer_forward(self, x_proj, initial, layer, weight_hh_t, empty):
        states = rnn_forward(x_proj, initial[0], weight_hh_t, self.nonlinearity)
        return states, (), states

    def _layer_backward(self, d_outputs, d_final, cache, layer, empty, state_grad):
        da, dh0 = rnn_backward(d_outputs, d_final[0], cache, self.params[f"weight_hh_l{layer}"],
                               self.nonlinearity, empty, state_grad)
        return da, da, (dh0,)

    def _forward_call(self, x_proj, initial, layer, empty):
        steps, batch, hidden = x_proj.shape
        states = _forward_buffers(steps, batch, hidden, initial[0], self.dtype)
        arguments = (states, self.nonlinearity == "relu",
                     kernels.product_rows(batch, hidden, hidden), not initial[0].any())
        return arguments, (states, (), states)

    def _backward_call(self, d_outputs, d_final, cache, layer, empty, state_grad):
        states = cache
        dh, da = _backward_buffers(d_final[0], states[1:], empty)
        arguments = (contiguous_or_none(d_outputs), dh, states,
                     self.params[f"weight_hh_l{layer}"], self.nonlinearity == "relu", da,
                     kernels.product_rows(states.shape[1], self.hidden_size, self.hidden_size),
                     state_grad)
        return arguments, da, da, (dh,)
