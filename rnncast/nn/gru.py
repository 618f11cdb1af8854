"""Gated recurrent unit in PyTorch's form (the reset gate multiplies W_hn h + b_hn).

    r_t = sigmoid(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)
    z_t = sigmoid(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)
    n_t = tanh(x_t W_in^T + b_in + r_t * (h_{t-1} W_hn^T + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}  =  n_t + z_t * (h_{t-1} - n_t)

Gate order in ``weight_ih``/``weight_hh`` rows is r, z, n. Backward, with dh_t the
total gradient reaching h_t and ``hn = h_{t-1} W_hn^T + b_hn``:

    da_n = dh_t * (1 - z) * (1 - n^2)
    da_z = dh_t * (h_{t-1} - n) * z (1 - z)
    da_r = da_n * hn * r (1 - r)
    dhn  = da_n * r                               (the recurrent side of gate n)
    dh_{t-1} = dh_t * z + [da_r, da_z, dhn] W_hh

so the input side sees [da_r, da_z, da_n] and the recurrent side [da_r, da_z, dhn].
"""

from __future__ import annotations

import functools

import numpy as np

from rnncast.nn import kernels
from rnncast.nn.recurrent import Recurrent, contiguous_or_none, fresh_array


@functools.cache
def gate_scale(hidden, dtype):
    """sigmoid(a) = 0.5 tanh(a / 2) + 0.5: r and z pre-activations are halved so that
    the loop needs tanh only. (3H,)"""
    scale = np.repeat(np.array([0.5, 0.5, 1.0], dtype=dtype), hidden)
    scale.flags.writeable = False  # one array per size, shared by every call
    return scale


def gru_forward(x_proj, h0, weight_hh_t, bias_hn, empty=fresh_array):
    """One layer over time, the NumPy reference; h0 (B, H).

    x_proj (T, B, 3H) is x W_ih^T + b_ih with b_hr, b_hz added (they sit outside any
    product, unlike b_hn) and the r, z columns halved (``gate_scale``); weight_hh_t
    (H, 3H) is W_hh^T with the same columns halved (``recurrent_weight_t``).
    Returns (states (T+1, B, H), rz (T, B, 2H), n (T, B, H), hn (T, B, H)).
    """
    steps, batch, gate_width = x_proj.shape
    hidden = gate_width // 3
    states, rz, n, hn = _forward_buffers(steps, batch, hidden, h0, x_proj.dtype, empty)
    gh = np.empty((batch, gate_width), dtype=x_proj.dtype)  # h_{t-1} W_hh^T, reused
    for t in range(steps):
        h_prev, h = states[t], states[t + 1]
        np.matmul(h_prev, weight_hh_t, out=gh)
        np.add(gh[:, : 2 * hidden], x_proj[t, :, : 2 * hidden], out=rz[t])
        np.tanh(rz[t], out=rz[t])
        rz[t] *= 0.5
        rz[t] += 0.5
        np.add(gh[:, 2 * hidden :], bias_hn, out=hn[t])
        np.multiply(rz[t, :, :hidden], hn[t], out=n[t])
        n[t] += x_proj[t, :, 2 * hidden :]
        np.tanh(n[t], out=n[t])
        np.subtract(h_prev, n[t], out=h)
        h *= rz[t, :, hidden:]
        h += n[t]
    return states, rz, n, hn


def _forward_buffers(steps, batch, hidden, h0, dtype, empty):
    """(states (T+1, B, H) starting at h0, rz (T, B, 2H), n and hn (T, B, H))."""
    states = np.empty((steps + 1, batch, hidden), dtype=dtype)  # the caller's: not reused
    states[0] = h0
    return (states, empty("rz", (steps, batch, 2 * hidden), dtype),
            empty("n", (steps, batch, hidden), dtype), empty("hn", (steps, batch, hidden), dtype))


def _backward_buffers(dh_last, n, empty):
    """dh (B, H) starting at the gradient reaching the last state; dA_h (T, B, 3H), da_n
    (T, B, H)."""
    steps, batch, hidden = n.shape
    dh = np.zeros((batch, hidden), n.dtype) if dh_last is None else dh_last.copy()
    return (dh, empty("dA_h", (steps, batch, 3 * hidden), n.dtype),
            empty("da_n", n.shape, n.dtype))


def gru_backward(d_outputs, dh_last, cache, weight_hh, empty=fresh_array, state_grad=True):
    """Backward of ``gru_forward``, the NumPy reference. Returns (dA_x, dA_h (T, B, 3H),
    dh0 (B, H), or None without ``state_grad``)."""
    states, rz, n, hn = cache
    steps, batch, hidden = n.shape
    dh, dA_h, da_n = _backward_buffers(dh_last, n, empty)
    r, z = rz[..., :hidden], rz[..., hidden:]
    # Local derivatives of every step at once; the loop only chains them.
    dn_local = (1 - z) * (1 - n * n)  # dh -> da_n
    dz_local = (states[:-1] - n) * z * (1 - z)  # dh -> da_z
    dr_local = hn * r * (1 - r)  # da_n -> da_r
    recurrent = np.empty_like(dh)
    for t in reversed(range(steps)):
        if d_outputs is not None:
            dh += d_outputs[t]
        np.multiply(dh, dn_local[t], out=da_n[t])
        np.multiply(dh, dz_local[t], out=dA_h[t, :, hidden : 2 * hidden])
        np.multiply(da_n[t], dr_local[t], out=dA_h[t, :, :hidden])
        np.multiply(da_n[t], r[t], out=dA_h[t, :, 2 * hidden :])
        np.matmul(dA_h[t], weight_hh, out=recurrent)
        dh *= z[t]
        dh += recurrent
    return _input_side(dA_h, da_n, empty), dA_h, dh if state_grad else None


def _input_side(dA_h, da_n, empty=fresh_array):
    """[da_r, da_z, da_n] from [da_r, da_z, dhn]: the gates as the input side sees them."""
    dA_x = empty("dA_x", dA_h.shape, dA_h.dtype)
    dA_x[...] = dA_h
    dA_x[..., -da_n.shape[-1] :] = da_n
    return dA_x


class GRU(Recurrent):
    """GRU layers, ``torch.nn.GRU(batch_first=True)`` in NumPy.

    Parameters as ``Recurrent``. Per layer ``l``: ``weight_ih_l{l}`` (3H, input),
    ``weight_hh_l{l}`` (3H, H), ``bias_ih_l{l}`` (3H,), ``bias_hh_l{l}`` (3H,), rows
    in gate order r, z, n.
    """

    num_gates = 3
    kernel = "gru"

    def _gate_scale(self):
        return gate_scale(self.hidden_size, self.dtype)

    def _folded_bias(self, bias_ih, bias_hh):
        folded = bias_ih.copy()
        folded[: 2 * self.hidden_size] += bias_hh[: 2 * self.hidden_size]
        return folded

    def _layer_forward(self, x_proj, initial, layer, weight_hh_t, empty):
        bias_hn = self.params[f"bias_hh_l{layer}"][2 * self.hidden_size :]
        cache = gru_forward(x_proj, initial[0], weight_hh_t, bias_hn, empty)
        return cache[0], (), cache

    def _layer_backward(self, d_outputs, d_final, cache, layer, empty, state_grad):
        dA_x, dA_h, dh0 = gru_backward(d_outputs, d_final[0], cache,
                                       self.params[f"weight_hh_l{layer}"], empty, state_grad)
        return dA_x, dA_h, (dh0,)

    def _forward_call(self, x_proj, initial, layer, empty):
        steps, batch, gate_width = x_proj.shape
        cache = _forward_buffers(steps, batch, self.hidden_size, initial[0], self.dtype, empty)
        bias_hn = self.params[f"bias_hh_l{layer}"][2 * self.hidden_size :]
        arguments = (*cache, bias_hn, kernels.product_rows(batch, gate_width, self.hidden_size),
                     not initial[0].any())
        return arguments, (cache[0], (), cache)

    def _backward_call(self, d_outputs, d_final, cache, layer, empty, state_grad):
        states, rz, n, hn = cache
        dh, dA_h, da_n = _backward_buffers(d_final[0], n, empty)
        dA_x = empty("dA_x", dA_h.shape, dA_h.dtype)  # filled by the kernel
        batch = n.shape[1]
        arguments = (contiguous_or_none(d_outputs), dh, states, rz, n, hn,
                     self.params[f"weight_hh_l{layer}"], dA_h, da_n, dA_x,
                     kernels.product_rows(batch, self.hidden_size, 3 * self.hidden_size),
                     state_grad)
        return arguments, dA_x, dA_h, (dh,)
