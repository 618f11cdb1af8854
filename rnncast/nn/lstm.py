"""Long short-term memory in PyTorch's form, gate order i, f, g, o.

    [a_i, a_f, a_g, a_o] = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh      (B, 4H)
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);   g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Backward, with dh_t and dc_t the total gradients reaching h_t and c_t:

    dc_t    += dh_t * o * (1 - tanh(c_t)^2)
    da_i     = dc_t * g * i (1 - i)
    da_f     = dc_t * c_{t-1} * f (1 - f)
    da_g     = dc_t * i * (1 - g^2)
    da_o     = dh_t * tanh(c_t) * o (1 - o)
    dc_{t-1} = dc_t * f
    dh_{t-1} = da W_hh

Everything that multiplies dc_t or dh_t is known after the forward pass, so backward
computes these "local" factors for all steps at once and the loop only chains them.
"""

from __future__ import annotations

import functools

import numpy as np

from rnncast.nn import kernels
from rnncast.nn.recurrent import Recurrent, contiguous_or_none, fresh_array


@functools.cache
def gate_scale(hidden, dtype):
    """sigmoid(a) = 0.5 tanh(a / 2) + 0.5: with the i, f, o pre-activations halved, one
    tanh call covers all four gates of a step, and no exp is needed. (4H,)"""
    scale = np.repeat(np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype), hidden)
    scale.flags.writeable = False  # one array per size, shared by every call
    return scale


def lstm_forward(x_proj, h0, c0, weight_hh_t, empty=fresh_array):
    """One layer over time, the NumPy reference; h0, c0 (B, H).

    x_proj (T, B, 4H) is x W_ih^T + b_ih + b_hh with the i, f, o columns halved
    (``gate_scale``); weight_hh_t (H, 4H) is W_hh^T with the same columns halved
    (``recurrent_weight_t``). Returns (states (T+1, B, H), cells (T+1, B, H), gates (T, B, 4H)
    activated, tanh_c (T, B, H)).
    """
    steps, batch, gate_width = x_proj.shape
    hidden = gate_width // 4
    states, cells, gates, tanh_c = _forward_buffers(steps, batch, hidden, h0, c0,
                                                    x_proj.dtype, empty)
    scale = gate_scale(hidden, x_proj.dtype)
    shift = 0.5 * (scale != 1).astype(x_proj.dtype)  # sigmoid = scale * tanh + 0.5
    gates4 = gates.reshape(steps, batch, 4, hidden)
    input_times_cand = np.empty((batch, hidden), dtype=x_proj.dtype)  # i * g, reused
    for t in range(steps):
        a = gates[t]
        np.matmul(states[t], weight_hh_t, out=a)
        a += x_proj[t]
        np.tanh(a, out=a)
        a *= scale
        a += shift
        i, f, g, o = gates4[t, :, 0], gates4[t, :, 1], gates4[t, :, 2], gates4[t, :, 3]
        c = cells[t + 1]
        np.multiply(f, cells[t], out=c)
        np.multiply(i, g, out=input_times_cand)
        c += input_times_cand
        np.tanh(c, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=states[t + 1])
    return states, cells, gates, tanh_c


def _forward_buffers(steps, batch, hidden, h0, c0, dtype, empty):
    """(states, cells (T+1, B, H) starting at h0, c0; gates (T, B, 4H), tanh_c (T, B, H))."""
    states = np.empty((steps + 1, batch, hidden), dtype=dtype)  # the caller's: not reused
    cells = empty("cells", states.shape, dtype)
    states[0], cells[0] = h0, c0
    return (states, cells, empty("gates", (steps, batch, 4 * hidden), dtype),
            empty("tanh_c", (steps, batch, hidden), dtype))


def _backward_buffers(dh_last, dc_last, shape, dtype, empty):
    """dh, dc (B, H) starting at the gradients reaching the last states; dA (T, B, 4H)."""
    steps, batch, gate_width = shape
    dh = np.zeros((batch, gate_width // 4), dtype) if dh_last is None else dh_last.copy()
    dc = np.zeros_like(dh) if dc_last is None else dc_last.copy()
    return dh, dc, empty("dA", shape, dtype)


def lstm_backward(d_outputs, dh_last, dc_last, cache, weight_hh, empty=fresh_array,
                  state_grad=True):
    """Backward of ``lstm_forward``, the NumPy reference. Returns (dA (T, B, 4H), dh0,
    dc0 (B, H)); without ``state_grad``, (dA, None, None)."""
    states, cells, gates, tanh_c = cache
    steps, batch, hidden = tanh_c.shape
    dh, dc, dA = _backward_buffers(dh_last, dc_last, gates.shape, gates.dtype, empty)
    gates4 = gates.reshape(steps, batch, 4, hidden)
    i, f, g, o = gates4[:, :, 0], gates4[:, :, 1], gates4[:, :, 2], gates4[:, :, 3]
    local = np.empty_like(gates4)  # (T, B, 4, H)
    local[:, :, 0] = g * i * (1 - i)  # dc -> da_i
    local[:, :, 1] = cells[:-1] * f * (1 - f)  # dc -> da_f
    local[:, :, 2] = i * (1 - g * g)  # dc -> da_g
    local[:, :, 3] = tanh_c * o * (1 - o)  # dh -> da_o
    dc_from_h = o * (1 - tanh_c * tanh_c)  # dh -> dc

    dA4 = dA.reshape(steps, batch, 4, hidden)
    dc_step = np.empty_like(dc)
    for t in reversed(range(steps)):
        if d_outputs is not None:
            dh += d_outputs[t]
        np.multiply(dh, dc_from_h[t], out=dc_step)
        dc += dc_step
        np.multiply(dc[:, None, :], local[t, :, :3], out=dA4[t, :, :3])
        np.multiply(dh, local[t, :, 3], out=dA4[t, :, 3])
        dc *= f[t]
        np.matmul(dA[t], weight_hh, out=dh)
    return (dA, dh, dc) if state_grad else (dA, None, None)


class LSTM(Recurrent):
    """LSTM layers, ``torch.nn.LSTM(batch_first=True)`` in NumPy.

    Parameters as ``Recurrent``. Per layer ``l``: ``weight_ih_l{l}`` (4H, input),
    ``weight_hh_l{l}`` (4H, H), ``bias_ih_l{l}`` (4H,), ``bias_hh_l{l}`` (4H,), rows
    in gate order i, f, g, o. States are pairs ``(h, c)``.
    """

    num_gates = 4
    has_cell_state = True
    kernel = "lstm"

    def _gate_scale(self):
        return gate_scale(self.hidden_size, self.dtype)

    def _layer_forward(self, x_proj, initial, layer, weight_hh_t, empty):
        cache = lstm_forward(x_proj, initial[0], initial[1], weight_hh_t, empty)
        states, cells = cache[0], cache[1]
        return states, (cells[-1],), cache

    def _layer_backward(self, d_outputs, d_final, cache, layer, empty, state_grad):
        dA, dh0, dc0 = lstm_backward(d_outputs, d_final[0], d_final[1], cache,
                                     self.params[f"weight_hh_l{layer}"], empty, state_grad)
        return dA, dA, (dh0, dc0)

    def _forward_call(self, x_proj, initial, layer, empty):
        steps, batch, gate_width = x_proj.shape
        cache = _forward_buffers(steps, batch, self.hidden_size, initial[0], initial[1],
                                 self.dtype, empty)
        arguments = (*cache, kernels.product_rows(batch, gate_width, self.hidden_size),
                     not initial[0].any())
        return arguments, (cache[0], (cache[1][-1],), cache)

    def _backward_call(self, d_outputs, d_final, cache, layer, empty, state_grad):
        states, cells, gates, tanh_c = cache
        dh, dc, dA = _backward_buffers(d_final[0], d_final[1], gates.shape, self.dtype, empty)
        batch, gate_width = gates.shape[1:]
        arguments = (contiguous_or_none(d_outputs), dh, dc, states, cells, gates, tanh_c,
                     self.params[f"weight_hh_l{layer}"], dA,
                     kernels.product_rows(batch, self.hidden_size, gate_width), state_grad)
        return arguments, dA, dA, (dh, dc)
