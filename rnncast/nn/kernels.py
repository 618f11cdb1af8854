"""Optional compiled time loops: each step's elementwise work in a few numba calls.

The NumPy loops in ``rnn.py``, ``gru.py`` and ``lstm.py`` are the reference. At the
sizes forecasting uses they spend most of their time in the overhead of ten or so small
NumPy calls per step and in NumPy's scalar ``tanh``. Here a step is its matrix product
(NumPy's, so the same BLAS) plus a few compiled passes with the same equations and the
same buffers. Tests hold both paths to PyTorch.

Why the passes are split the way they are: LLVM vectorises a loop only if it can rule
out overlap between the arrays it writes and the others, and gives up beyond a handful
of runtime checks. A kernel that reads and writes seven arrays ran scalar, 6x slower
than the same work split into passes that each write one or two arrays.

``tanh`` in float32 is a rational approximation (Eigen's, clamped at +-9) that
vectorises, within 4e-7 of the exact value; float64 uses the exact ``math.tanh``, so
gradient checks and float64 parity are untouched.

numba is optional (``pip install 'rnncast[fast]'``); without it ``AVAILABLE`` is False
and the layers use the NumPy loops.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
    from numba.extending import overload
except ImportError:  # the NumPy path needs nothing from here
    numba = None

AVAILABLE = numba is not None
_OPTIONS = {"fastmath": True, "error_model": "numpy"}  # no zero-division branch: vectorises

# float32 literals: a float64 literal would drag float32 kernels into float64 arithmetic
# (half the SIMD width); in float64 kernels they promote exactly.
HALF, ONE, CLAMP = np.float32(0.5), np.float32(1.0), np.float32(9.0)
_P = tuple(np.float32(c) for c in (
    -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
    1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03))
_Q = tuple(np.float32(c) for c in (
    1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03))
P0, P1, P2, P3, P4, P5, P6 = _P
Q0, Q1, Q2, Q3 = _Q


def _tanh(x):
    return math.tanh(x)


def _compile(function):
    if numba is None:
        return function
    # Helpers are compiled functions that LLVM inlines; numba's own inline="always"
    # happens earlier and, measured here, stopped the loops from vectorising.
    return numba.njit(cache=True, nogil=True, **_OPTIONS)(function)


if numba is not None:

    @overload(_tanh, jit_options=_OPTIONS)
    def _tanh_by_type(x):
        if isinstance(x, numba.types.Float) and x.bitwidth == 32:

            def fast_tanh(x):
                x = min(max(x, -CLAMP), CLAMP)
                x2 = x * x
                p = x2 * P0 + P1
                p = x2 * p + P2
                p = x2 * p + P3
                p = x2 * p + P4
                p = x2 * p + P5
                p = x2 * p + P6
                q = x2 * Q0 + Q1
                q = x2 * q + Q2
                q = x2 * q + Q3
                return x * p / q

            return fast_tanh
        return lambda x: math.tanh(x)


# -- shared passes --------------------------------------------------------------------
@_compile
def _add_activate(a, x_proj_t, tanh_start, tanh_stop, relu):
    """a <- act(a + x_proj_t) in place, both (B, W) and contiguous. Columns in
    [tanh_start, tanh_stop) get tanh (or relu), the others sigmoid, whose
    pre-activations arrive halved: sigmoid(a) = 0.5 tanh(a / 2) + 0.5."""
    batch, width = a.shape
    for b in range(batch):
        for j in range(width):
            v = a[b, j] + x_proj_t[b, j]
            if relu:
                a[b, j] = max(v, HALF - HALF)
            else:
                t = _tanh(v)
                a[b, j] = t if tanh_start <= j < tanh_stop else HALF * t + HALF


@_compile
def project_one_feature(x, weight, bias, x_proj):
    """x_proj[r] = x[r] * weight + bias: the input projection of a one-feature series.
    x (R,), weight and bias (G,), x_proj (R, G); one pass where NumPy needs two."""
    rows, width = x_proj.shape
    for r in range(rows):
        value = x[r]
        for j in range(width):
            x_proj[r, j] = value * weight[j] + bias[j]


# -- RNN ------------------------------------------------------------------------------
@_compile
def _rnn_local_gradient(grad_h, h_t, relu, da_t):  # all (B, H)
    batch, hidden = grad_h.shape
    for b in range(batch):
        for j in range(hidden):
            h = h_t[b, j]
            if relu:
                da_t[b, j] = grad_h[b, j] if h > 0 else HALF - HALF
            else:
                da_t[b, j] = grad_h[b, j] * (ONE - h * h)


def rnn_forward_loop(x_proj, states, weight_hh_t, relu):
    for t in range(x_proj.shape[0]):
        np.matmul(states[t], weight_hh_t, out=states[t + 1])
        _add_activate(states[t + 1], x_proj[t], 0, x_proj.shape[2], relu)


def rnn_backward_loop(d_outputs, dh, states, weight_hh, relu, da):
    """Leaves dh holding dh0."""
    d_outputs = None if d_outputs is None else np.ascontiguousarray(d_outputs)
    for t in reversed(range(da.shape[0])):
        if d_outputs is not None:
            dh += d_outputs[t]
        _rnn_local_gradient(dh, states[t + 1], relu, da[t])
        np.matmul(da[t], weight_hh, out=dh)


# -- GRU ------------------------------------------------------------------------------
# One pass over (B, H) per step and direction: each unit's gates are read and written
# together. (Fused the same way, the LSTM's step ran up to 1.6x slower on the
# development machine, so it keeps its separate passes below.)
@_compile
def _gru_step(gh, x_proj_t, bias_hn, rz_t, hn_t, n_t, h_prev, h):
    """gh (B, 3H) = h_prev W_hh^T (r and z halved, as their x_proj_t columns are):
    r, z = sigmoid; hn = gh_n + b_hn; n = tanh(x_proj_n + r * hn); h = n + z (h_prev - n).
    rz_t (B, 2H), hn_t and n_t (B, H) keep what backward needs."""
    batch, hidden = h.shape
    for b in range(batch):
        for j in range(hidden):
            r = HALF * _tanh(gh[b, j] + x_proj_t[b, j]) + HALF
            z = HALF * _tanh(gh[b, hidden + j] + x_proj_t[b, hidden + j]) + HALF
            hn = gh[b, 2 * hidden + j] + bias_hn[j]
            n = _tanh(x_proj_t[b, 2 * hidden + j] + r * hn)
            rz_t[b, j] = r
            rz_t[b, hidden + j] = z
            hn_t[b, j] = hn
            n_t[b, j] = n
            h[b, j] = n + z * (h_prev[b, j] - n)


@_compile
def _gru_step_backward(grad_h, through_z, rz_t, n_t, hn_t, h_prev, dA_h_t, da_n_t):
    """dh = grad_h + through_z (the part of dh that skipped W_hh at step t+1);
    da_n = dh (1 - z)(1 - n^2); dA_h = [da_n hn r(1-r), dh (h_prev - n) z(1-z), da_n r];
    through_z leaves holding dh z, the part of dh_{t-1} that skips W_hh."""
    batch, hidden = grad_h.shape
    for b in range(batch):
        for j in range(hidden):
            r, z, n = rz_t[b, j], rz_t[b, hidden + j], n_t[b, j]
            dh = grad_h[b, j] + through_z[b, j]
            da_n = dh * (ONE - z) * (ONE - n * n)
            da_n_t[b, j] = da_n
            dA_h_t[b, j] = da_n * hn_t[b, j] * r * (ONE - r)
            dA_h_t[b, hidden + j] = dh * (h_prev[b, j] - n) * z * (ONE - z)
            dA_h_t[b, 2 * hidden + j] = da_n * r
            through_z[b, j] = dh * z


def gru_forward_loop(x_proj, states, rz, n, hn, weight_hh_t, bias_hn):
    gh = np.empty(x_proj.shape[1:], dtype=x_proj.dtype)  # (B, 3H)
    for t in range(x_proj.shape[0]):
        np.matmul(states[t], weight_hh_t, out=gh)
        _gru_step(gh, x_proj[t], bias_hn, rz[t], hn[t], n[t], states[t], states[t + 1])


def gru_backward_loop(d_outputs, dh, states, rz, n, hn, weight_hh, dA_h, da_n):
    """Leaves dh holding dh0."""
    d_outputs = None if d_outputs is None else np.ascontiguousarray(d_outputs)
    through_z = np.zeros_like(dh)  # dh_t * z_t: the part of dh_{t-1} that skips W_hh
    for t in reversed(range(n.shape[0])):
        if d_outputs is not None:
            dh += d_outputs[t]
        _gru_step_backward(dh, through_z, rz[t], n[t], hn[t], states[t], dA_h[t], da_n[t])
        np.matmul(dA_h[t], weight_hh, out=dh)
    dh += through_z


# -- LSTM -----------------------------------------------------------------------------
@_compile
def _lstm_cell(gates_t, c_prev, c):
    """c = f * c_prev + i * g.  gates_t (B, 4H) activated, in order i, f, g, o."""
    batch, hidden = c.shape
    for b in range(batch):
        for j in range(hidden):
            c[b, j] = (gates_t[b, hidden + j] * c_prev[b, j]
                       + gates_t[b, j] * gates_t[b, 2 * hidden + j])


@_compile
def _lstm_hidden(gates_t, c, tanh_c_t, h):
    """h = o * tanh(c)."""
    batch, hidden = c.shape
    for b in range(batch):
        for j in range(hidden):
            tc = _tanh(c[b, j])
            tanh_c_t[b, j] = tc
            h[b, j] = gates_t[b, 3 * hidden + j] * tc


@_compile
def _lstm_gradient_c(grad_h, gates_t, tanh_c_t, dc):
    """dc += dh * o * (1 - tanh(c)^2)."""
    batch, hidden = dc.shape
    for b in range(batch):
        for j in range(hidden):
            tc = tanh_c_t[b, j]
            dc[b, j] += grad_h[b, j] * gates_t[b, 3 * hidden + j] * (ONE - tc * tc)


@_compile
def _lstm_gradient_gates(grad_h, dc, gates_t, c_prev, tanh_c_t, dA_t):
    """dA = [dc g i(1-i), dc c_prev f(1-f), dc i (1-g^2), dh tanh(c) o(1-o)]."""
    batch, hidden = dc.shape
    for b in range(batch):
        for j in range(hidden):
            i, f = gates_t[b, j], gates_t[b, hidden + j]
            g, o = gates_t[b, 2 * hidden + j], gates_t[b, 3 * hidden + j]
            grad_c = dc[b, j]
            dA_t[b, j] = grad_c * g * i * (ONE - i)
            dA_t[b, hidden + j] = grad_c * c_prev[b, j] * f * (ONE - f)
            dA_t[b, 2 * hidden + j] = grad_c * i * (ONE - g * g)
            dA_t[b, 3 * hidden + j] = grad_h[b, j] * tanh_c_t[b, j] * o * (ONE - o)


def lstm_forward_loop(x_proj, states, cells, gates, tanh_c, weight_hh_t):
    hidden = states.shape[2]
    for t in range(x_proj.shape[0]):
        np.matmul(states[t], weight_hh_t, out=gates[t])
        _add_activate(gates[t], x_proj[t], 2 * hidden, 3 * hidden, False)  # g is tanh
        _lstm_cell(gates[t], cells[t], cells[t + 1])
        _lstm_hidden(gates[t], cells[t + 1], tanh_c[t], states[t + 1])


def lstm_backward_loop(d_outputs, dh, dc, cells, gates, tanh_c, weight_hh, dA):
    """Leaves dh, dc holding dh0, dc0."""
    d_outputs = None if d_outputs is None else np.ascontiguousarray(d_outputs)
    hidden = dh.shape[1]
    for t in reversed(range(gates.shape[0])):
        if d_outputs is not None:
            dh += d_outputs[t]
        _lstm_gradient_c(dh, gates[t], tanh_c[t], dc)
        _lstm_gradient_gates(dh, dc, gates[t], cells[t], tanh_c[t], dA[t])
        dc *= gates[t, :, hidden : 2 * hidden]
        np.matmul(dA[t], weight_hh, out=dh)
