"""Optional compiled time loops: a layer's whole pass over time in one numba call.

The NumPy loops in ``rnn.py``, ``gru.py`` and ``lstm.py`` are the reference. At the
sizes forecasting uses they spend most of their time in the overhead of ten or so small
NumPy calls per step and in NumPy's scalar ``tanh``. Here the loop over time is
compiled: a step is its matrix product (``np.dot`` into a preallocated buffer, which
numba hands to BLAS through SciPy) plus a few compiled passes with the same equations
and the same buffers, with no Python between steps. Tests hold both paths to PyTorch.

Why the passes are split the way they are: LLVM vectorises a loop only if it can rule
out overlap between the arrays it writes and the others, and gives up beyond a handful
of runtime checks. A kernel that reads and writes seven arrays ran scalar, 6x slower
than the same work split into passes that each write one or two arrays.

``tanh`` in float32 is a rational approximation (Eigen's, clamped at +-9) that
vectorises, within 4e-7 of the exact value; float64 uses the exact ``math.tanh``, so
gradient checks and float64 parity are untouched.

numba and SciPy are optional (``pip install 'rnncast[fast]'``); without either,
``AVAILABLE`` is False and the layers use the NumPy loops.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading

import numpy as np
import threadpoolctl

try:
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  numba's np.dot calls BLAS through SciPy
    from numba.extending import overload
except ImportError:  # the NumPy path needs nothing more
    numba = None
try:  # where numba keeps whether its threading layer started (_numba_layer_started)
    from numba.np.ufunc import parallel as _numba_parallel
except ImportError:
    _numba_parallel = None

AVAILABLE = numba is not None
# fastmath without "reassoc", which lets LLVM reorder a chain of products or sums, and so
# round it another way, depending on the code around it. With it, a kernel compiled
# afresh together with the kernels it calls rounded otherwise than the same kernel
# loaded from numba's cache: the first run after an install and the later ones gave an
# LSTM other gradients, and a fit other forecasts. Without it the two agree bit for bit
# (tests/nn/test_recurrent.py), and the per-step passes, which vectorise across units and
# not along a sum, ran as fast. error_model "numpy": no zero-division branch to vectorise
# around.
_OPTIONS = {"fastmath": {"nnan", "ninf", "nsz", "arcp", "contract", "afn"},
            "error_model": "numpy"}

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


def _compile_exact(function):
    """As ``_compile``, without fastmath: every operation rounds as NumPy's would (no
    fused multiply-adds, no reciprocals for divisions), so the result is NumPy's bit
    for bit."""
    if numba is None:
        return function
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)


def _compile_parallel(function):
    """As ``_compile``, with ``numba.prange`` spreading its loop over numba's threads."""
    if numba is None:
        return function
    return numba.njit(cache=True, nogil=True, parallel=True, **_OPTIONS)(function)


def _compile_parallel_exact(function):
    """As ``_compile_parallel``, without fastmath (see ``_compile_exact``): compiled with
    it, the Adam update it called rounded differently from NumPy's."""
    if numba is None:
        return function
    return numba.njit(cache=True, nogil=True, parallel=True, error_model="numpy")(function)


def resolve_backend(value: str) -> bool:
    """Whether ``backend`` (``"auto"``, ``"numpy"`` or ``"numba"``) runs compiled code."""
    if value not in ("auto", "numpy", "numba"):
        raise ValueError(f"backend must be 'auto', 'numpy' or 'numba', got {value!r}.")
    if value == "numba" and not AVAILABLE:
        raise ImportError("backend='numba' needs numba and SciPy: "
                          "pip install 'rnncast[fast]', or use backend='numpy'.")
    return value == "numba" or (value == "auto" and AVAILABLE)


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


_blas_libraries = None  # [(threadpoolctl controller, saved threads)], found on first use
_blas_lock = threading.Lock()
_blas_users = 0  # threads inside single_threaded_blas now


@contextlib.contextmanager
def single_threaded_blas():
    """Every loaded BLAS on one thread while any thread is inside (about 3 us in and out).

    The loops' per-step products are too small to share between cores, and SciPy's
    BLAS (numba's ``np.dot``) is a second library beside NumPy's, with its own thread
    pool: with both on two threads, one pool's idle workers spin while the other's
    work, and a training step ran up to 5x slower on two cores than on one. Parallel
    parts of a batch enter this from several threads; the first sets one thread and
    the last restores the libraries' settings.
    """
    global _blas_libraries, _blas_users
    with _blas_lock:
        if _blas_libraries is None:  # looked up once: it takes milliseconds
            controller = threadpoolctl.ThreadpoolController().select(user_api="blas")
            _blas_libraries = [(library, 0) for library in controller.lib_controllers]
        if _blas_users == 0:
            for index, (library, _) in enumerate(_blas_libraries):
                _blas_libraries[index] = (library, library.get_num_threads())
                library.set_num_threads(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for library, threads in _blas_libraries:
                    library.set_num_threads(threads)


# OpenBLAS's kernels for AVX-512 CPUs have a path for small products that skips packing
# the operands: gemm with M * N * K <= 1e6. A step's h (B, H) @ W^T (H, G*H) is often
# just above that (B = 32, H = 128, G = 4 is 2.1e6), and split into row blocks under the
# limit it ran 1.65x faster on the development machine (114 against 69 GFLOP/s).
# Elsewhere, small blocks would repack W every call, so the loops block only there.
_SMALL_PRODUCT_ARCHITECTURES = {"skylakex", "cooperlake", "sapphirerapids"}
_SMALL_PRODUCT_LIMIT = 1e6


@functools.cache
def _small_product_limit():
    libraries = threadpoolctl.threadpool_info()
    blas = [library for library in libraries if library["user_api"] == "blas"]
    if blas and all(library["internal_api"] == "openblas"
                    and str(library.get("architecture", "")).lower()
                    in _SMALL_PRODUCT_ARCHITECTURES for library in blas):
        return _SMALL_PRODUCT_LIMIT
    return None


def product_rows(rows, width, depth):
    """Rows per block for the loops' (rows, depth) @ (depth, width) products: all rows,
    or blocks within the BLAS's small-product limit where it has one."""
    limit = _small_product_limit()
    if limit is None:
        return rows
    most = max(1, int(limit // (width * depth)))
    if most >= 8:
        most -= most % 8  # blocks of 11 rows ran 15% slower than blocks of 8
    return min(rows, most)


@_compile
def _product(a, b, out, block_rows):
    """out = a @ b, in blocks of ``block_rows`` rows; a (M, K), b (K, N), out (M, N)."""
    for start in range(0, a.shape[0], block_rows):
        np.dot(a[start : start + block_rows], b, out[start : start + block_rows])


@_compile
def _project(layer_input, weight_t, bias, x_proj):
    """x_proj = layer_input @ weight_t + bias, every step at once: layer_input (T, B, I),
    weight_t (I, W), bias (W,), x_proj (T, B, W)."""
    steps, batch, features = layer_input.shape
    rows = steps * batch
    flat = x_proj.reshape(rows, x_proj.shape[2])
    if features == 1:
        project_one_feature(layer_input.reshape(rows), weight_t[0], bias, flat)
        return
    np.dot(layer_input.reshape(rows, features), weight_t, flat)
    for r in range(rows):
        for j in range(flat.shape[1]):
            flat[r, j] += bias[j]


@_compile
def add_into(total, term):
    """total += term, both C-ordered of one shape: one flat loop. numba's ``+=`` on 2-D
    arrays took 4x as long, and NumPy's on a layer's gradients (67k values) twice as
    long. (A separate output array, even the same one, kept it from vectorising.)"""
    flat_total, flat_term = total.reshape(total.size), term.reshape(term.size)
    for k in range(flat_total.size):
        flat_total[k] += flat_term[k]


@_compile
def _row_sums(a):
    """(W,) sums of a (R, W)'s rows, added in row order."""
    sums = np.zeros(a.shape[1], dtype=a.dtype)
    for r in range(a.shape[0]):
        for j in range(a.shape[1]):
            sums[j] += a[r, j]
    return sums


@_compile
def _part_gradients(dA_x, dA_h, one_side, layer_input, states, weight_ih, first_row, grad_ih,
                    grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh, accumulate,
                    d_input):
    """A layer's parameter gradients over one part of a batch, and its input gradient.

    dA_x, dA_h (T, B, W): the gate gradients the input and recurrent sides see (the same
    array when ``one_side``); layer_input (T, B, I); states (T+1, B, H), the initial
    state first, whose rows before ``first_row`` are left out of W_hh's product (a zero
    state adds nothing). grad_ih (W, I) = dA_x^T X, grad_hh (W, H) = dA_h^T H_prev, the
    biases' the sums of dA_x's and dA_h's rows: added into the grad arrays when
    ``accumulate`` (through the scratch arrays of their shapes), else written over them.
    d_input (T, B, I) = dA_x W_ih unless None.
    """
    steps, batch, width = dA_x.shape
    rows = steps * batch
    input_side = dA_x.reshape(rows, width)
    recurrent_side = dA_h.reshape(rows, width)
    inputs = layer_input.reshape(rows, layer_input.shape[2])
    if accumulate:
        np.dot(input_side.T, inputs, scratch_ih)
        add_into(grad_ih, scratch_ih)
    else:
        np.dot(input_side.T, inputs, grad_ih)
    if first_row < rows:
        previous = states.reshape(rows + batch, states.shape[2])[first_row:rows]
        if accumulate:
            np.dot(recurrent_side[first_row:].T, previous, scratch_hh)
            add_into(grad_hh, scratch_hh)
        else:
            np.dot(recurrent_side[first_row:].T, previous, grad_hh)
    elif not accumulate:
        grad_hh[:] = 0
    if not accumulate:
        grad_bias_ih[:] = 0
        grad_bias_hh[:] = 0
    sums = _row_sums(input_side)
    grad_bias_ih += sums
    grad_bias_hh += sums if one_side else _row_sums(recurrent_side)
    if d_input is not None:
        np.dot(input_side, weight_ih, d_input.reshape(rows, d_input.shape[2]))


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


COLUMN_BLOCK = 8  # weight's columns transpose_scaled writes out together


@_compile_exact
def transpose_scaled(weight, scale, out):
    """out = (weight * scale[:, None]).T: weight (R, C) C-ordered, scale (R,), out (C, R).

    NumPy's strided copy of a transpose ran at 0.9 ns a value here (57 us for LSTM's
    512 x 128 W_hh, every forward pass). Here each of weight's rows gives 8 columns at
    a time, written along 8 rows of out at once: 11 us (22 us through 8 x 8 tiles, 44
    us a column at a time). One product per value, so the result is NumPy's exactly."""
    rows, cols = weight.shape
    full = cols - cols % COLUMN_BLOCK
    for c0 in range(0, full, COLUMN_BLOCK):
        for r in range(rows):
            factor = scale[r]
            for c in range(c0, c0 + COLUMN_BLOCK):
                out[c, r] = weight[r, c] * factor
    for c in range(full, cols):
        for r in range(rows):
            out[c, r] = weight[r, c] * scale[r]


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


@_compile
def rnn_forward_loop(x_proj, states, weight_hh_t, relu, block_rows, zero_start):
    """zero_start: states[0] is all zero, so its product is too and is not computed."""
    for t in range(x_proj.shape[0]):
        if t == 0 and zero_start:
            states[1][:] = 0
        else:
            _product(states[t], weight_hh_t, states[t + 1], block_rows)
        _add_activate(states[t + 1], x_proj[t], 0, x_proj.shape[2], relu)


@_compile
def rnn_backward_loop(d_outputs, dh, states, weight_hh, relu, da, block_rows, state_grad):
    """d_outputs (T, B, H) or None. Leaves dh holding dh0 if ``state_grad``, else
    skips the last product, the one that only dh0 needs."""
    for t in range(da.shape[0] - 1, -1, -1):
        if d_outputs is not None:
            dh += d_outputs[t]
        _rnn_local_gradient(dh, states[t + 1], relu, da[t])
        if t > 0 or state_grad:
            _product(da[t], weight_hh, dh, block_rows)


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


@_compile
def gru_forward_loop(x_proj, states, rz, n, hn, weight_hh_t, bias_hn, block_rows,
                     zero_start):
    gh = np.empty(x_proj.shape[1:], dtype=x_proj.dtype)  # (B, 3H)
    for t in range(x_proj.shape[0]):
        if t == 0 and zero_start:
            gh[:] = 0
        else:
            _product(states[t], weight_hh_t, gh, block_rows)
        _gru_step(gh, x_proj[t], bias_hn, rz[t], hn[t], n[t], states[t], states[t + 1])


@_compile
def gru_backward_loop(d_outputs, dh, states, rz, n, hn, weight_hh, dA_h, da_n, block_rows,
                      state_grad):
    """d_outputs (T, B, H) or None. Leaves dh holding dh0 if ``state_grad``, else
    skips the last product, the one that only dh0 needs."""
    through_z = np.zeros_like(dh)  # dh_t * z_t: the part of dh_{t-1} that skips W_hh
    for t in range(n.shape[0] - 1, -1, -1):
        if d_outputs is not None:
            dh += d_outputs[t]
        _gru_step_backward(dh, through_z, rz[t], n[t], hn[t], states[t], dA_h[t], da_n[t])
        if t > 0 or state_grad:
            _product(dA_h[t], weight_hh, dh, block_rows)
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
    """dA = [dc g i(1-i), dc c_prev f(1-f), dc i (1-g^2), dh tanh(c) o(1-o)];
    then dc <- dc f, the part of dc_{t-1} that comes through the cell."""
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
            dc[b, j] = grad_c * f


@_compile
def lstm_forward_loop(x_proj, states, cells, gates, tanh_c, weight_hh_t, block_rows,
                      zero_start):
    hidden = states.shape[2]
    for t in range(x_proj.shape[0]):
        if t == 0 and zero_start:
            gates[0][:] = 0
        else:
            _product(states[t], weight_hh_t, gates[t], block_rows)
        _add_activate(gates[t], x_proj[t], 2 * hidden, 3 * hidden, False)  # g is tanh
        _lstm_cell(gates[t], cells[t], cells[t + 1])
        _lstm_hidden(gates[t], cells[t + 1], tanh_c[t], states[t + 1])


@_compile
def lstm_backward_loop(d_outputs, dh, dc, cells, gates, tanh_c, weight_hh, dA, block_rows,
                       state_grad):
    """d_outputs (T, B, H) or None. Leaves dh, dc holding dh0, dc0 if ``state_grad``,
    else skips the last product, the one that only dh0 needs."""
    for t in range(gates.shape[0] - 1, -1, -1):
        if d_outputs is not None:
            dh += d_outputs[t]
        _lstm_gradient_c(dh, gates[t], tanh_c[t], dc)
        _lstm_gradient_gates(dh, dc, gates[t], cells[t], tanh_c[t], dA[t])
        if t > 0 or state_grad:
            _product(dA[t], weight_hh, dh, block_rows)


@_compile_exact
def adam_update(params, grads, m, v, decay, shrink, keep1, beta2, keep2, step_size,
                bias_correction2_sqrt, eps):
    """One Adam step over flat buffers (P,), in place: ``optim.Adam.step``'s NumPy
    operations, in the same order and dtype, in one pass instead of eleven. The scalars
    come in the buffers' dtype; ``decay`` is coupled weight decay (0: none), ``shrink``
    the decoupled factor (1: none); keep1 = 1 - beta1, keep2 = 1 - beta2."""
    for k in range(params.size):
        p = params[k]
        if shrink != ONE:
            p = p * shrink
        g = grads[k]
        if decay != 0:
            g = p * decay + g
        if keep1 < HALF:  # torch's lerp takes its other form from a weight of 0.5 up
            m_k = m[k] + (g - m[k]) * keep1
        else:
            m_k = g - (g - m[k]) * (ONE - keep1)
        v_k = v[k] * beta2 + g * keep2 * g
        m[k] = m_k
        v[k] = v_k
        params[k] = p - m_k * step_size / (np.sqrt(v_k) / bias_correction2_sqrt + eps)


PARALLEL_ADAM_SIZE = 32768  # parameters from which Adam's update is split across threads


@_compile_parallel_exact
def adam_update_in_parts(params, grads, m, v, decay, shrink, keep1, beta2, keep2, step_size,
                         bias_correction2_sqrt, eps, count):
    """``adam_update`` on ``count`` contiguous shares of the buffers at once, one per
    thread: the same operations on each value, so the same bits."""
    size = params.size
    for part in numba.prange(count):
        start, stop = size * part // count, size * (part + 1) // count
        adam_update(params[start:stop], grads[start:stop], m[start:stop], v[start:stop],
                    decay, shrink, keep1, beta2, keep2, step_size, bias_correction2_sqrt, eps)


# -- parts of a batch ------------------------------------------------------------------
_threading_layer = None  # numba's, once found: "" where parallel regions are not used


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parallel_regions() -> bool:
    """Whether the parts of a batch run in numba's parallel regions: yes with its OpenMP
    or TBB threading layer, whose idle threads wait for the next region spinning, not
    asleep. Its fallback layer (workqueue) took 70 to 90 us a region here and cannot be
    entered from two threads at once; there the layers use a Python thread pool."""
    global _threading_layer
    if _threading_layer is None:
        try:
            _first_region(np.zeros(2))
            _threading_layer = numba.threading_layer()
        except (ValueError, ImportError):  # no layer could be loaded
            _threading_layer = ""
    return _threading_layer in ("omp", "tbb")


def _forget_parallel_regions():
    """In a forked child: the parent's region threads did not come along, and GNU
    OpenMP ends (SIGTERM) a child that starts them again; the pool serves instead.
    Also where the parent's layer was started without ``parallel_regions`` (numba code
    of the user's own, say): numba's flag says so."""
    global _threading_layer
    if _threading_layer is not None or _numba_layer_started():
        _threading_layer = ""


def _numba_layer_started() -> bool:
    """Whether numba's threading layer started in this process, by rnncast or not
    (imported at the top: a forked child should not import)."""
    # numba moved it: assume it started, and the child uses the thread pool
    return bool(getattr(_numba_parallel, "_is_initialized", True))


if numba is not None and hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_parallel_regions)


@_compile_parallel
def _first_region(out):
    for p in numba.prange(out.size):
        out[p] = p


# A layer's pass over one part of a batch: W_hh^T, the input projection and the time
# loop forward; the time loop and the weight gradients backward. Each ``*_parts``
# function runs every part in one parallel region, its arguments tuples with one item
# per part: numba's threads (OpenMP or TBB) take a part each without going back to
# Python, where handing a part to a Python thread and collecting it cost 25 to 45 us
# each way on a 2-core VM. Each part makes its own W_hh^T (weight_hh^T with the gate
# scale, in a buffer only it uses): one W_hh^T made by the calling thread for all parts
# took 11 us on some runs of the development VM and 82 us on others, writing over lines
# the other core had read in the last step; the development machine ran one mode or the
# other for minutes at a time.
@_compile
def _copy_outputs(states, joined):
    """joined (T, b, H), this part's columns of the whole batch's outputs, = states[1:]
    (none to fill when None: a layer below the top, or a batch in one part). Copied
    here, a part per thread, the outputs' fresh pages are touched on both cores: copied
    after the region, a batch of 256 at hidden 128 sometimes spent 0.6 ms on them."""
    if joined is not None:
        steps = joined.shape[0]
        for t in range(steps):
            joined[t] = states[t + 1]


@_compile
def rnn_forward_part(weight_hh, scale, weight_hh_t, layer_input, weight_t, bias, x_proj,
                     states, relu, block_rows, zero_start, joined):
    transpose_scaled(weight_hh, scale, weight_hh_t)
    _project(layer_input, weight_t, bias, x_proj)
    rnn_forward_loop(x_proj, states, weight_hh_t, relu, block_rows, zero_start)
    _copy_outputs(states, joined)


@_compile_parallel
def rnn_forward_parts(weight_hh, scale, weight_hh_t, layer_input, weight_t, bias, x_proj,
                      states, relu, block_rows, zero_start, joined):
    for p in numba.prange(len(x_proj)):
        rnn_forward_part(weight_hh[p], scale[p], weight_hh_t[p], layer_input[p], weight_t[p],
                         bias[p], x_proj[p], states[p], relu[p], block_rows[p],
                         zero_start[p], joined[p])


@_compile
def rnn_backward_part(d_outputs, dh, states, weight_hh, relu, da, block_rows, state_grad,
                      layer_input, weight_ih, first_row, grad_ih, grad_hh, grad_bias_ih,
                      grad_bias_hh, scratch_ih, scratch_hh, accumulate, d_input):
    rnn_backward_loop(d_outputs, dh, states, weight_hh, relu, da, block_rows, state_grad)
    _part_gradients(da, da, True, layer_input, states, weight_ih, first_row, grad_ih,
                    grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh, accumulate,
                    d_input)


@_compile_parallel
def rnn_backward_parts(d_outputs, dh, states, weight_hh, relu, da, block_rows, state_grad,
                       layer_input, weight_ih, first_row, grad_ih, grad_hh, grad_bias_ih,
                       grad_bias_hh, scratch_ih, scratch_hh, accumulate, d_input):
    for p in numba.prange(len(dh)):
        rnn_backward_part(d_outputs[p], dh[p], states[p], weight_hh[p], relu[p], da[p],
                          block_rows[p], state_grad[p], layer_input[p], weight_ih[p],
                          first_row[p], grad_ih[p], grad_hh[p], grad_bias_ih[p],
                          grad_bias_hh[p], scratch_ih[p], scratch_hh[p], accumulate[p],
                          d_input[p])


@_compile
def gru_forward_part(weight_hh, scale, weight_hh_t, layer_input, weight_t, bias, x_proj,
                     states, rz, n, hn, bias_hn, block_rows, zero_start, joined):
    transpose_scaled(weight_hh, scale, weight_hh_t)
    _project(layer_input, weight_t, bias, x_proj)
    gru_forward_loop(x_proj, states, rz, n, hn, weight_hh_t, bias_hn, block_rows, zero_start)
    _copy_outputs(states, joined)


@_compile_parallel
def gru_forward_parts(weight_hh, scale, weight_hh_t, layer_input, weight_t, bias, x_proj,
                      states, rz, n, hn, bias_hn, block_rows, zero_start, joined):
    for p in numba.prange(len(x_proj)):
        gru_forward_part(weight_hh[p], scale[p], weight_hh_t[p], layer_input[p], weight_t[p],
                         bias[p], x_proj[p], states[p], rz[p], n[p], hn[p], bias_hn[p],
                         block_rows[p], zero_start[p], joined[p])


@_compile
def gru_backward_part(d_outputs, dh, states, rz, n, hn, weight_hh, dA_h, da_n, dA_x,
                      block_rows, state_grad, layer_input, weight_ih, first_row, grad_ih,
                      grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh,
                      accumulate, d_input):
    """As ``gru_backward_loop``, then dA_x = [da_r, da_z, da_n], the gates as the input
    side sees them, and the layer's gradients (``_part_gradients``)."""
    gru_backward_loop(d_outputs, dh, states, rz, n, hn, weight_hh, dA_h, da_n, block_rows,
                      state_grad)
    hidden = da_n.shape[2]
    for t in range(dA_h.shape[0]):  # loops: numba's slice assignment took 3x as long
        for b in range(dA_h.shape[1]):
            for j in range(2 * hidden):
                dA_x[t, b, j] = dA_h[t, b, j]
            for j in range(hidden):
                dA_x[t, b, 2 * hidden + j] = da_n[t, b, j]
    _part_gradients(dA_x, dA_h, False, layer_input, states, weight_ih, first_row, grad_ih,
                    grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh, accumulate,
                    d_input)


@_compile_parallel
def gru_backward_parts(d_outputs, dh, states, rz, n, hn, weight_hh, dA_h, da_n, dA_x,
                       block_rows, state_grad, layer_input, weight_ih, first_row, grad_ih,
                       grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh,
                       accumulate, d_input):
    for p in numba.prange(len(dh)):
        gru_backward_part(d_outputs[p], dh[p], states[p], rz[p], n[p], hn[p], weight_hh[p],
                          dA_h[p], da_n[p], dA_x[p], block_rows[p], state_grad[p],
                          layer_input[p], weight_ih[p], first_row[p], grad_ih[p],
                          grad_hh[p], grad_bias_ih[p], grad_bias_hh[p], scratch_ih[p],
                          scratch_hh[p], accumulate[p], d_input[p])


@_compile
def lstm_forward_part(weight_hh, scale, weight_hh_t, layer_input, weight_t, bias, x_proj,
                      states, cells, gates, tanh_c, block_rows, zero_start, joined):
    transpose_scaled(weight_hh, scale, weight_hh_t)
    _project(layer_input, weight_t, bias, x_proj)
    lstm_forward_loop(x_proj, states, cells, gates, tanh_c, weight_hh_t, block_rows,
                      zero_start)
    _copy_outputs(states, joined)


@_compile_parallel
def lstm_forward_parts(weight_hh, scale, weight_hh_t, layer_input, weight_t, bias, x_proj,
                       states, cells, gates, tanh_c, block_rows, zero_start, joined):
    for p in numba.prange(len(x_proj)):
        lstm_forward_part(weight_hh[p], scale[p], weight_hh_t[p], layer_input[p], weight_t[p],
                          bias[p], x_proj[p], states[p], cells[p], gates[p], tanh_c[p],
                          block_rows[p], zero_start[p], joined[p])


@_compile
def lstm_backward_part(d_outputs, dh, dc, states, cells, gates, tanh_c, weight_hh, dA,
                       block_rows, state_grad, layer_input, weight_ih, first_row, grad_ih,
                       grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh,
                       accumulate, d_input):
    lstm_backward_loop(d_outputs, dh, dc, cells, gates, tanh_c, weight_hh, dA, block_rows,
                       state_grad)
    _part_gradients(dA, dA, True, layer_input, states, weight_ih, first_row, grad_ih,
                    grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh, accumulate,
                    d_input)


@_compile_parallel
def lstm_backward_parts(d_outputs, dh, dc, states, cells, gates, tanh_c, weight_hh, dA,
                        block_rows, state_grad, layer_input, weight_ih, first_row, grad_ih,
                        grad_hh, grad_bias_ih, grad_bias_hh, scratch_ih, scratch_hh,
                        accumulate, d_input):
    for p in numba.prange(len(dh)):
        lstm_backward_part(d_outputs[p], dh[p], dc[p], states[p], cells[p], gates[p],
                           tanh_c[p], weight_hh[p], dA[p], block_rows[p], state_grad[p],
                           layer_input[p], weight_ih[p], first_row[p], grad_ih[p],
                           grad_hh[p], grad_bias_ih[p], grad_bias_hh[p], scratch_ih[p],
                           scratch_hh[p], accumulate[p], d_input[p])


PART_KERNELS = {  # a part's function, and the one that runs all parts at once
    "rnn_forward": (rnn_forward_part, rnn_forward_parts),
    "rnn_backward": (rnn_backward_part, rnn_backward_parts),
    "gru_forward": (gru_forward_part, gru_forward_parts),
    "gru_backward": (gru_backward_part, gru_backward_parts),
    "lstm_forward": (lstm_forward_part, lstm_forward_parts),
    "lstm_backward": (lstm_backward_part, lstm_backward_parts),
}


# -- a training step's head and loss ---------------------------------------------------
# ``RecurrentRegressor.loss_and_gradients`` runs the layer's forward parts, these, then
# its backward parts, each with arguments built once per batch shape: almost no Python
# between the layer, the head and the loss, where an LSTM step (hidden 128, batch 32)
# had spent a fifth of its time.
LOSS_KINDS = {"mse": 0, "mae": 1, "huber": 2, "pinball": 3}


@_compile
def head_loss_part(states, head_weight, head_bias, target, weight, loss_kind, delta,
                   quantiles, inverse_count, dh, grad_weight, grad_bias, d_cell, loss_sum):
    """A linear head on one part's last states, the loss on its outputs, and their
    gradients, as ``losses.py`` and ``Linear`` define them.

    states (T+1, b, H); head_weight (K, H), head_bias (K,) with K = S * Q outputs per
    row, output k the forecast of target k // Q at quantile k % Q (Q = 1 unless
    ``loss_kind`` is pinball's); target, weight (b, S); quantiles (Q,);
    inverse_count = 1 / N, N the outputs of the whole batch. Writes dh (b, H) = dL/dh_T,
    grad_weight (K, H) and grad_bias (K,) (over, not into), zeroes d_cell (b, H; LSTM's
    dL/dc_T) unless None, and sets loss_sum[0] to the part's sum of weight x
    elementwise loss, in float64.
    """
    last = states[states.shape[0] - 1]  # (b, H)
    rows, hidden = last.shape
    outputs, count = head_weight.shape[0], quantiles.shape[0]
    grad_weight[:] = 0
    grad_bias[:] = 0
    if d_cell is not None:
        d_cell[:] = 0
    total = 0.0
    for r in range(rows):
        for j in range(hidden):
            dh[r, j] = 0
        for k in range(outputs):
            prediction = head_bias[k]
            for j in range(hidden):
                prediction += last[r, j] * head_weight[k, j]
            difference = prediction - target[r, k // count]
            if loss_kind == 0:  # mse
                value, slope = difference * difference, difference + difference
            elif loss_kind == 1:  # mae; sign 0 at 0, as PyTorch's abs
                value, slope = abs(difference), np.sign(difference)
            elif loss_kind == 2:  # huber
                size = abs(difference)
                if size < delta:
                    value = HALF * difference * difference
                else:
                    value = delta * (size - HALF * delta)
                slope = min(max(difference, -delta), delta)
            else:  # pinball, with e = target - prediction = -difference
                q = quantiles[k % count]
                value = max(-q * difference, (ONE - q) * difference)
                if difference < 0:
                    slope = -q
                elif difference > 0:
                    slope = ONE - q
                else:
                    slope = HALF - q
            w = weight[r, k // count]
            total += w * value
            gradient = w * slope * inverse_count
            grad_bias[k] += gradient
            for j in range(hidden):
                grad_weight[k, j] += gradient * last[r, j]
                dh[r, j] += gradient * head_weight[k, j]
    loss_sum[0] = total


@_compile_parallel
def head_loss_parts(states, head_weight, head_bias, target, weight, loss_kind, delta,
                    quantiles, inverse_count, dh, grad_weight, grad_bias, d_cell, loss_sum):
    for p in numba.prange(len(states)):
        head_loss_part(states[p], head_weight[p], head_bias[p], target[p], weight[p],
                       loss_kind[p], delta[p], quantiles[p], inverse_count[p], dh[p],
                       grad_weight[p], grad_bias[p], d_cell[p], loss_sum[p])


PART_KERNELS["head_loss"] = (head_loss_part, head_loss_parts)
