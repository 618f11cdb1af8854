"""What RNN, GRU and LSTM share: parameters, stacking, dropout, states, weight gradients.

A cell module (``rnn.py``, ``gru.py``, ``lstm.py``) supplies only the time loop of one
layer, forward and backward. Everything that is a whole-sequence matrix product lives
here, once:

    x_proj = X @ W_ih.T + b_ih                  before the loop   (T, B, G*H)
    dW_ih += dA_x^T X,  dW_hh += dA_h^T H_prev  after the loop
    dX     = dA_x @ W_ih

where ``G`` is the number of gates (1, 3, 4), ``dA_x`` the gradient of the loss with
respect to the gate pre-activations coming from the input side and ``dA_h`` from the
recurrent side (they differ only in GRU's candidate gate, where the reset gate sits
between ``W_hn h + b_hn`` and the sum).

Internally every array is time-major, ``(T, B, ...)``, so that ``x_proj[t]`` and the
state at step ``t`` are contiguous blocks; the public interface is batch-first like
``torch.nn.RNN(batch_first=True)``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import math
import os
import warnings

import numpy as np

from rnncast.errors import ShapeError
from rnncast.nn import kernels
from rnncast.nn.module import Module, aligned_zeros, flat_views, resolve_dtype, resolve_rng


def fresh_array(name, shape, dtype):
    """``empty`` for the cell functions when no workspace is given: a new array."""
    return np.empty(shape, dtype=dtype)


class Workspace:
    """A layer's scratch arrays, kept from one call to the next, by name.

    The loops' buffers (gate pre-activations, gates, their gradients: T x B x G x H
    values each) were megabytes of fresh memory every training step, and the page
    faults of touching it cost as much as a third of an LSTM's forward pass at 128 units.
    Reused, they stay mapped, and start on a cache line (``aligned_zeros``). Nothing
    handed to the caller lives here (outputs and states are new arrays), and an array
    over ``limit`` bytes is allocated afresh, so one large prediction does not hold its
    memory afterwards.
    """

    limit = 1 << 26  # bytes

    def __init__(self):
        self._flat = {}

    def empty(self, name, shape, dtype):
        size = math.prod(shape)
        if size * np.dtype(dtype).itemsize > self.limit:
            return np.empty(shape, dtype=dtype)
        flat = self._flat.get(name)
        if flat is None or flat.size < size or flat.dtype != dtype:
            flat = self._flat[name] = aligned_zeros(size, dtype)
        return flat[:size].reshape(shape)


class Recurrent(Module):
    """Base class of ``RNN``, ``GRU`` and ``LSTM``; see those for the equations.

    Parameters
    ----------
    input_size, hidden_size : int
        Features per time step in the input, and units in each layer.
    num_layers : int
        Stacked layers; layer ``l > 0`` reads the outputs of layer ``l - 1``.
    dropout : float
        Probability of zeroing an input of layers ``l > 0`` while ``training``
        (inverted dropout, as PyTorch). Ignored in ``eval()`` mode.
    dtype : {"float32", "float64"}
    seed : int, numpy.random.Generator or None
        Source of the initial weights and of dropout masks.
    backend : {"auto", "numpy", "numba"}
        Where the time loop runs. ``"numpy"`` is the reference; ``"numba"`` runs the
        whole loop over time as one compiled call (``rnncast[fast]``) and is
        several times faster at small and medium sizes; ``"auto"`` takes numba when it
        is installed. Both give the same results to float rounding (PyTorch parity
        holds for each), and each is deterministic. Settable later: ``layer.backend``.
    threads : int or None
        Compiled backend: the most parts a batch is cut into, each running its loops
        on its own core (a batch is cut only when each part has work enough to pay for
        a thread; see ``min_part_rows``, ``min_part_work``). None: the cores this
        process may use. Outputs are the same for any number; weight gradients are
        summed in another order, so they agree to float rounding.
    init : {"uniform", "orthogonal"}
        ``"uniform"`` draws every parameter from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch
        does; ``"orthogonal"`` then replaces each gate's block of ``weight_hh`` by a
        random orthogonal matrix, which keeps long sequences from vanishing early.

    Gradients accumulate: each ``backward`` adds into ``grads`` (and
    ``flat_grads``) until ``zero_grad()``. ``backward`` uses what the most recent
    ``forward`` stored, so several forward/backward pairs may run in sequence
    (e.g. gradient accumulation over micro-batches) and ``backward`` may be called
    more than once after one ``forward``.
    """

    num_gates: int = 1
    has_cell_state: bool = False
    _size_arguments = "input_size, hidden_size and num_layers"
    # Split the batch across threads only where each part keeps at least this many rows
    # and this much per-sequence work (steps x rows x G x H x H multiply-adds); below
    # that, starting and joining threads cost more than they save (measured on 2 cores).
    min_part_rows: int = 8
    min_part_work: float = 8e6

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        dropout: float = 0.0,
        dtype="float32",
        seed=None,
        init: str = "uniform",
        backend: str = "auto",
        threads: int | None = None,
    ) -> None:
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"dropout={dropout} does nothing with num_layers=1: dropout acts between "
                "stacked layers, on the inputs of layers 2 and up (as in PyTorch). Use "
                "num_layers >= 2, or dropout=0.", UserWarning,
                stacklevel=2 if type(self).__init__ is Recurrent.__init__ else 3)
        if init not in ("uniform", "orthogonal"):
            raise ValueError(f"init must be 'uniform' or 'orthogonal', got {init!r}.")
        if threads is not None and (int(threads) != threads or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}.")
        self.threads = threads
        self.backend = backend
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.dropout = float(dropout)
        self.training = True
        self._rng = resolve_rng(seed)
        self._cache = None
        self._workspaces = {}  # (layer, part of the batch) -> Workspace
        self._part_buffers = {}  # part of the batch (1, 2, ...) -> (flat buffer, views)

        gate_rows = self.num_gates * self.hidden_size
        shapes = {}
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size
            shapes[f"weight_ih_l{layer}"] = (gate_rows, layer_input)
            shapes[f"weight_hh_l{layer}"] = (gate_rows, self.hidden_size)
            shapes[f"bias_ih_l{layer}"] = (gate_rows,)
            shapes[f"bias_hh_l{layer}"] = (gate_rows,)
        self._allocate(shapes, resolve_dtype(dtype))

        bound = 1.0 / np.sqrt(self.hidden_size)
        self.flat_params[...] = self._rng.uniform(-bound, bound, self.flat_params.size)
        if init == "orthogonal":
            for layer in range(self.num_layers):
                weight_hh = self.params[f"weight_hh_l{layer}"]
                for gate in range(self.num_gates):
                    block = slice(gate * self.hidden_size, (gate + 1) * self.hidden_size)
                    weight_hh[block] = _random_orthogonal(self.hidden_size, self._rng)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(input_size={self.input_size}, "
                f"hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
                f"dropout={self.dropout}, dtype='{self.dtype.name}')")

    def __getstate__(self):
        """As ``Module``'s, without the loops' scratch arrays, the parts' gradient
        buffers and the last forward's cache (a copy starts with a forward)."""
        state = super().__getstate__()
        state.update(_cache=None, _workspaces={}, _part_buffers={})
        return state

    @property
    def backend(self) -> str:
        return self._backend

    @backend.setter
    def backend(self, value: str) -> None:
        self.compiled = kernels.resolve_backend(value)
        self._backend = value

    # -- the cell's part: one layer's time loop ---------------------------------------
    def _gate_scale(self):
        """(G*H,) factors on each gate's pre-activation, or None: sigmoid gates are
        computed as 0.5 tanh(a / 2) + 0.5, so their pre-activations arrive halved."""
        return None

    def _compiled_gate_scale(self):
        """``_gate_scale``, ones where it is None: what the compiled parts multiply by."""
        scale = self._gate_scale()
        return _ones(self.num_gates * self.hidden_size, self.dtype) if scale is None else scale

    def _folded_bias(self, bias_ih, bias_hh):
        """The biases that can join x W_ih^T before the loop (all but GRU's b_hn)."""
        return bias_ih + bias_hh

    def _layer_forward(self, x_proj, initial, layer, weight_hh_t, empty):
        """Run one layer over time; weight_hh_t (H, G*H) is ``recurrent_weight_t`` of its
        W_hh with the gate scale. Returns (states (T+1, B, H), extra final states, cache).
        ``empty(name, shape, dtype)`` gives the arrays the loop may reuse next call."""
        raise NotImplementedError

    def _layer_backward(self, d_outputs, d_final, cache, layer, empty, state_grad):
        """Returns (dA_x (T, B, G*H), dA_h (T, B, G*H), d_initial tuple); the tuple
        holds Nones without ``state_grad``."""
        raise NotImplementedError

    # -- public interface ------------------------------------------------------------
    def forward(self, x, state=None):
        """Run the stacked layers over a batch of sequences.

        Parameters
        ----------
        x : array (batch, time, input_size)
        state : initial hidden state, ``(num_layers, batch, hidden_size)``; for LSTM a
            pair ``(h0, c0)`` of such arrays. ``None`` means zeros.

        Returns
        -------
        outputs : array (batch, time, hidden_size)
            The last layer's hidden state at every step, read-only: a view of the
            buffers ``backward`` needs (no copy), or, when the batch ran in parts on
            several threads, one array the parts copied their states into.
        final_state : array (num_layers, batch, hidden_size), or ``(h_T, c_T)`` for LSTM.
        """
        x = self._check_input(x)
        batch, steps, _ = x.shape
        initial = self._check_state(state, batch, "state")
        inputs = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, I)
        masks = [None] * self.num_layers  # drawn here, for the whole batch, in layer order
        if self.training and self.dropout > 0:
            keep = 1.0 - self.dropout
            for layer in range(1, self.num_layers):
                draw = self._rng.random((steps, batch, self.hidden_size))
                masks[layer] = (draw < keep).astype(self.dtype) / keep

        parts = self._batch_parts(batch, steps)
        # once per forward for all parts, per layer: the input side's weights and bias,
        # with the gate scale
        projections = [self._projection_weights(layer) for layer in range(self.num_layers)]
        part_inputs = [inputs if len(parts) == 1 else np.ascontiguousarray(inputs[:, part])
                       for part in parts]  # each (T, b, I)
        part_caches = [[] for _ in parts]  # per part, per layer: what backward needs
        part_finals = [[] for _ in parts]  # per part, per layer: (h_T,) or (h_T, c_T)
        # several parts copy their top layer's states into one array, in their threads
        joined = (None if len(parts) == 1 else
                  np.empty((steps, batch, self.hidden_size), dtype=self.dtype))
        with self._loop_threads():
            for layer in range(self.num_layers):
                part_masks = [None if masks[layer] is None else masks[layer][:, part]
                              for part in parts]
                if masks[layer] is not None:
                    part_inputs = [x * m for x, m in zip(part_inputs, part_masks, strict=True)]
                top = joined is not None and layer == self.num_layers - 1
                results = self._forward_layer(
                    part_inputs, [tuple(s[layer][part] for s in initial) for part in parts],
                    layer, projections[layer],
                    [joined[:, part] if top else None for part in parts])
                for index, (states, extra_final, cell_cache) in enumerate(results):
                    part_caches[index].append(
                        (part_inputs[index], states, part_masks[index], cell_cache))
                    part_finals[index].append((states[-1],) + extra_final)
                part_inputs = [states[1:] for states, _, _ in results]  # next layer's input
        self._cache = (steps, batch, parts, part_caches)

        outputs = (part_inputs[0] if joined is None else joined).transpose(1, 0, 2)  # (B, T, H)
        outputs.flags.writeable = False
        final = tuple(np.empty((self.num_layers, batch, self.hidden_size), self.dtype)
                      for _ in part_finals[0][0])  # (L, B, H) each: h_T, and c_T for LSTM
        for part, finals in zip(parts, part_finals, strict=True):
            for layer, states in enumerate(finals):
                for whole, last in zip(final, states, strict=True):
                    whole[layer, part] = last
        return outputs, (final if self.has_cell_state else final[0])

    def _forward_layer(self, inputs, initials, layer, projection, joined):
        """Layer ``layer`` over each part of the batch: inputs (T, b, I), initials
        (tuples of (b, H)) and joined (the part's (T, b, H) view of the batch's outputs,
        to copy its states into, or None) are lists, one item per part; projection is
        the layer's ``_projection_weights``. Returns per part (states (T+1, b, H), extra
        final states, cache)."""
        weight_hh = self.params[f"weight_hh_l{layer}"]
        if not self.compiled:  # the NumPy reference, always one part
            (layer_input,), (initial,) = inputs, initials
            empty = self._workspace(layer, 0).empty
            weight_hh_t = recurrent_weight_t(  # (H, G*H), with the gate scale
                weight_hh, self._gate_scale(),
                out=empty("weight_hh_t", weight_hh.shape[::-1], self.dtype))
            x_proj = self._project(layer_input, *projection, empty)
            return [self._layer_forward(x_proj, initial, layer, weight_hh_t, empty)]
        calls, results = [], []
        for index, (layer_input, initial, outputs) in enumerate(
                zip(inputs, initials, joined, strict=True)):
            empty = self._workspace(layer, index).empty
            steps, batch, _ = layer_input.shape
            x_proj = empty("x_proj", (steps, batch, self.num_gates * self.hidden_size),
                           self.dtype)
            arguments, result = self._forward_call(x_proj, initial, layer, empty)
            # each part makes its own W_hh^T (H, G*H) with the gate scale (kernels.py)
            calls.append((weight_hh, self._compiled_gate_scale(),
                          empty("weight_hh_t", weight_hh.shape[::-1], self.dtype),
                          layer_input, *projection, x_proj, *arguments, outputs))
            results.append(result)
        _run_parts(kernels.PART_KERNELS[f"{self.kernel}_forward"], calls)
        return results

    __call__ = forward

    def backward(self, d_outputs=None, d_final_state=None, *, input_grad=True, state_grad=True):
        """Backpropagate through time; add parameter gradients into ``grads``.

        Parameters
        ----------
        d_outputs : array (batch, time, hidden_size) or None
            Gradient of the loss with respect to ``outputs``; ``None`` means zero
            (e.g. when only the final state feeds the loss).
        d_final_state : like ``final_state``, or None for zero.
        input_grad : bool
            False skips the gradient with respect to ``x`` (returned as None), as
            PyTorch does for inputs that do not require it: training on data needs
            only the parameter gradients.
        state_grad : bool
            False skips the gradient with respect to the initial state (returned as
            None), and with it, in the compiled loops, each layer's product for the
            first step.

        Returns
        -------
        d_x : array (batch, time, input_size), or None
        d_initial_state : like ``state``: the gradient with respect to the initial state,
            or None.
        """
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward.")
        steps, batch, parts, part_caches = self._cache
        hidden = self.hidden_size
        if d_outputs is not None:
            d_outputs = np.asarray(d_outputs, dtype=self.dtype)
            if d_outputs.shape != (batch, steps, hidden):
                raise ShapeError(f"d_outputs has shape {d_outputs.shape}, expected "
                                 f"{(batch, steps, hidden)} like the forward outputs.")
            d_outputs = d_outputs.transpose(1, 0, 2)  # (T, B, H) view
        d_final = self._check_state(d_final_state, batch, "d_final_state", zeros=False)

        d_layer_outs = [None if d_outputs is None else d_outputs[:, part] for part in parts]
        d_initial = [[] for _ in parts]  # per part, from the top layer down
        with self._loop_threads():
            for layer in reversed(range(self.num_layers)):
                results = self._backward_layer(
                    d_layer_outs,
                    [tuple(None if d is None else d[layer][part] for d in d_final)
                     for part in parts],
                    [caches[layer] for caches in part_caches], layer,
                    layer > 0 or input_grad, state_grad)
                d_layer_outs = []
                for index, (d_input, d_init) in enumerate(results):
                    mask = part_caches[index][layer][2]
                    if mask is not None and d_input is not None:
                        d_input *= mask
                    d_layer_outs.append(d_input)
                    d_initial[index].append(d_init)
        for index in range(1, len(parts)):  # in a fixed order: the sum does not depend
            # on the threads' timing
            kernels.add_into(self.flat_grads, self._part_buffers[index][0])  # compiled

        d_x = None
        if input_grad:
            d_x = np.ascontiguousarray(_join(d_layer_outs).transpose(1, 0, 2))
        if not state_grad:
            return d_x, None
        d_state = tuple(_join([np.stack([d[k] for d in reversed(inits)]) for inits in d_initial])
                        for k in range(len(d_initial[0][0])))
        return d_x, (d_state if self.has_cell_state else d_state[0])

    def _backward_layer(self, d_outputs, d_finals, caches, layer, input_grad, state_grad):
        """Backward of ``_forward_layer``, adding the layer's parameter gradients into
        ``grads`` (the first part) and the parts' own buffers (the others). d_outputs
        (T, b, H) or None, d_finals (tuples of (b, H) or None) and caches are lists, one
        item per part. Returns per part (d_input (T, b, I) or None without
        ``input_grad``, d_initial tuple of (b, H), or Nones without ``state_grad``)."""
        names = (f"weight_ih_l{layer}", f"weight_hh_l{layer}", f"bias_ih_l{layer}",
                 f"bias_hh_l{layer}")
        weight_ih = self.params[names[0]]
        if not self.compiled:  # the NumPy reference, always one part
            (layer_input, states, _, cell_cache), = caches
            dA_x, dA_h, d_init = self._layer_backward(
                d_outputs[0], d_finals[0], cell_cache, layer, self._workspace(layer, 0).empty,
                state_grad)
            steps, batch = layer_input.shape[:2]
            rows = steps * batch
            dA_x2 = dA_x.reshape(rows, -1)  # (T*b, G*H)
            dA_h2 = dA_x2 if dA_h is dA_x else dA_h.reshape(rows, -1)
            ones = np.ones(rows, dtype=self.dtype)  # bias sums as products: faster than sum
            self.grads[names[0]] += dA_x2.T @ layer_input.reshape(rows, -1)
            # a zero initial state (the default) adds nothing to dW_hh: skip its rows
            first = batch if not states[0].any() else 0
            self.grads[names[1]] += (dA_h2[first:].T
                                     @ states[:-1].reshape(rows, self.hidden_size)[first:])
            d_bias_ih = ones @ dA_x2
            self.grads[names[2]] += d_bias_ih
            self.grads[names[3]] += d_bias_ih if dA_h is dA_x else ones @ dA_h2
            d_input = (dA_x2 @ weight_ih).reshape(steps, batch, -1) if input_grad else None
            return [(d_input, d_init)]

        calls, results = [], []
        for index, (d_out, d_final, cache) in enumerate(
                zip(d_outputs, d_finals, caches, strict=True)):
            layer_input, states, _, cell_cache = cache
            empty = self._workspace(layer, index).empty
            arguments, _, _, d_init = self._backward_call(d_out, d_final, cell_cache, layer,
                                                          empty, state_grad)
            # the first part adds into grads; the others write their own buffers
            grads = self.grads if index == 0 else self._part_gradients(index)
            d_input = (np.empty(layer_input.shape, dtype=self.dtype) if input_grad
                       else None)
            calls.append((*arguments, layer_input, weight_ih,
                          states.shape[1] if not states[0].any() else 0,
                          *(grads[name] for name in names),
                          empty("scratch_ih", weight_ih.shape, self.dtype),
                          empty("scratch_hh", self.grads[names[1]].shape, self.dtype),
                          index == 0, d_input))
            results.append((d_input, d_init if state_grad else (None,) * len(d_init)))
        _run_parts(kernels.PART_KERNELS[f"{self.kernel}_backward"], calls)
        return results

    # -- threads: parts of the batch in parallel ------------------------------------------
    def _batch_parts(self, batch, steps):
        """Slices of the batch to run on separate cores: one, unless the compiled loops
        have enough work per step for a thread's start and join to pay off."""
        cores = self.threads if self.threads is not None else kernels.usable_cores()
        work = steps * batch * self.num_gates * self.hidden_size * self.hidden_size
        count = min(cores, batch // self.min_part_rows, max(1, int(work // self.min_part_work)))
        if not self.compiled or count < 2:
            return [slice(None)]
        bounds = [batch * k // count for k in range(count + 1)]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]

    def _part_gradients(self, index):
        """Views, by parameter name, of the buffer where part ``index`` > 0 of a batch
        writes its gradients, laid out like ``flat_grads``. Kept between calls
        (``_part_buffers[index]``): fresh ones the size of the parameters cost page
        faults every step. Every parameter's gradient is written over, not added to."""
        kept = self._part_buffers.get(index)
        if kept is None or kept[0].shape != self.flat_grads.shape or kept[0].dtype != self.dtype:
            flat = np.empty_like(self.flat_grads)
            shapes = {name: grad.shape for name, grad in self.grads.items()}
            kept = self._part_buffers[index] = (flat, flat_views(flat, shapes))
        return kept[1]

    def _workspace(self, layer, part):
        key = (layer, part)
        if key not in self._workspaces:
            self._workspaces[key] = Workspace()
        return self._workspaces[key]

    def _loop_threads(self):
        """BLAS on one thread through a compiled pass (``kernels.single_threaded_blas``),
        as set for NumPy's.

        The compiled loops' per-step products are too small to share between cores, and
        parts of a batch fill the cores themselves. A batch in one part gains little from
        a second thread in its whole-sequence products either (the weight gradients):
        woken once, OpenBLAS's threads spin for some milliseconds waiting for more work,
        and on two cores they took one from the other part's thread, or from the
        caller's own, and steps ran a third slower."""
        return kernels.single_threaded_blas() if self.compiled else contextlib.nullcontext()

    def _projection_weights(self, layer):
        """(W_ih^T (I, G*H), folded biases (G*H,)) with the gate scale: what ``_project``
        applies to layer ``layer``'s input."""
        weight = self.params[f"weight_ih_l{layer}"].T  # (I, G*H)
        bias = self._folded_bias(self.params[f"bias_ih_l{layer}"],
                                 self.params[f"bias_hh_l{layer}"])
        scale = self._gate_scale()
        if scale is not None:
            weight, bias = np.multiply(weight, scale, order="C"), bias * scale
        # C-ordered, as the compiled training step's copy is: numba compiles a kernel
        # once per array layout it meets, and a Fortran-ordered view here made the
        # forward kernels compile twice over (a few seconds each, on a first run)
        return np.ascontiguousarray(weight), bias

    def _project(self, layer_input, weight, bias, empty=fresh_array):
        """x_proj = X weight + bias, all steps at once, with ``_projection_weights``.

        (T, B, I) -> (T, B, G*H): the one pass over the sequence before the loop.
        """
        steps, batch, features = layer_input.shape
        if features == 1:
            # a broadcast multiply beats a (T*B, 1) x (1, G*H) matrix product
            x_proj = layer_input * weight[0]
        else:
            x_proj = (layer_input.reshape(steps * batch, features) @ weight).reshape(
                steps, batch, -1)
        x_proj += bias
        return x_proj

    # -- validation ------------------------------------------------------------------
    def _check_input(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 3 or x.shape[2] != self.input_size or 0 in x.shape[:2]:
            raise ShapeError(
                f"{type(self).__name__} expects input of shape (batch, time, "
                f"{self.input_size}) with batch and time >= 1, got {x.shape}. A single "
                "series of length T with one feature is x.reshape(1, T, 1)."
            )
        return x

    def _check_state(self, state, batch, name, zeros=True):
        """Normalise a state argument to a tuple of (L, B, H) arrays, or of Nones."""
        parts = 2 if self.has_cell_state else 1
        if state is None:
            if not zeros:
                return (None,) * parts
            return tuple(np.zeros((self.num_layers, batch, self.hidden_size), self.dtype)
                         for _ in range(parts))
        if self.has_cell_state:
            if not isinstance(state, tuple | list) or len(state) != 2:
                raise ShapeError(f"LSTM {name} must be a pair (h, c), got {type(state)}.")
        else:
            state = (state,)
        expected = (self.num_layers, batch, self.hidden_size)
        checked = []
        for part in state:
            if part is None:
                checked.append(None if not zeros else np.zeros(expected, self.dtype))
                continue
            part = np.asarray(part, dtype=self.dtype)
            if part.shape != expected:
                raise ShapeError(f"{name} has shape {part.shape}, expected "
                                 f"(num_layers, batch, hidden_size) = {expected}.")
            checked.append(part)
        return tuple(checked)


def _join(parts):
    """Arrays of parts of the batch, batch on axis 1, as one (the part itself if alone)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def _run_parts(functions, calls, zipped=None):
    """Run a part function of ``kernels.PART_KERNELS`` on each part's arguments
    (``calls``, one tuple per part): one part in this thread; several in one numba
    parallel region, or, where there is none (``kernels.parallel_regions``), the first
    in this thread and the others on the thread pool at the same time. ``zipped``:
    ``tuple(zip(*calls))`` if the caller keeps it, what the region takes."""
    part_function, parts_function = functions
    if len(calls) == 1:
        part_function(*calls[0])
    elif kernels.parallel_regions():
        parts_function(*(zip(*calls) if zipped is None else zipped))
    else:
        futures = [_thread_pool().submit(part_function, *arguments) for arguments in calls[1:]]
        try:  # the calling thread takes the first part rather than wait idle
            part_function(*calls[0])
        finally:
            for future in futures:
                future.result()


_pool = None  # the thread pool that runs parts of batches, made on first use


def _thread_pool():
    """The pool for parts of a batch (the calling thread takes one part itself)."""
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, kernels.usable_cores() - 1), thread_name_prefix="rnncast")
    return _pool


def _forget_thread_pool():
    """In a forked child: the parent's pool object came along, but not its threads."""
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_thread_pool)


def contiguous_or_none(d_outputs):
    """d_outputs (T, B, H), usually a transposed view, as one C-ordered layout (or None),
    so that the compiled backward loops are compiled for one array type."""
    return None if d_outputs is None else np.ascontiguousarray(d_outputs)


@functools.cache
def _ones(size, dtype):
    ones = np.ones(size, dtype=dtype)
    ones.flags.writeable = False  # one array per size, shared by every call
    return ones


def recurrent_weight_t(weight_hh, scale=None, out=None):
    """weight_hh^T (H, G*H), its columns times ``scale`` (G*H,) if given, C-contiguous,
    in ``out`` if given: the NumPy loops' copy (the compiled parts make theirs with
    ``kernels.transpose_scaled``, the same values).

    ``weight_hh.T`` is a Fortran-ordered view; BLAS takes it as a transposed operand,
    and each step's ``h @ weight_hh.T`` ran up to 1.4x slower that way at batch 32
    (hidden 128, OpenBLAS), so the loops get a copy, one per forward pass.
    """
    transposed = np.empty(weight_hh.shape[::-1], dtype=weight_hh.dtype) if out is None else out
    if scale is None:
        transposed[...] = weight_hh.T
    else:
        np.multiply(weight_hh.T, scale, out=transposed)
    return transposed


def _random_orthogonal(size, rng):
    q, r = np.linalg.qr(rng.standard_normal((size, size)))
    return q * np.sign(np.diag(r))  # the sign fix makes q uniform (Haar) over rotations
