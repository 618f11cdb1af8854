"""A recurrent network with a linear head on its last state, and its training step.

``RecurrentRegressor(recurrent, head)`` maps windows ``(batch, time, input_size)`` to
outputs ``(batch, K)``: the top layer's hidden state after the last step, through a
``Linear`` head. It is the network of a direct multi-step forecaster (rnncast's own),
and of the speed benchmark.

``loss_and_gradients`` is a training step short of the optimizer: forward, loss,
backward, the gradients left in each layer's ``grads``. With the compiled backend and
one recurrent layer, it runs as three compiled calls whose arguments are built once
per batch shape (``_FusedStep``): the layer's forward over each part of the batch, the
head and the loss, the layer's backward, each part on its own core. Going through
``forward``, a loss function and ``backward`` instead, an LSTM step (hidden 128, batch
32) spent a fifth of its time in the Python between them. Both give the same values to
float rounding (the tests hold them to each other and to PyTorch); each is
deterministic.

>>> network = RecurrentRegressor(LSTM(1, 32, seed=0), Linear(32, 6, seed=1))
>>> optimizer = Adam(network.layers, lr=1e-3)
>>> loss = network.loss_and_gradients(windows, targets, "mae")   # (B, T, 1), (B, 6)
>>> clip_grad_norm(network.layers, 1.0)
>>> optimizer.step()
"""

from __future__ import annotations

import numpy as np

from rnncast.errors import ShapeError
from rnncast.nn import kernels
from rnncast.nn.linear import Linear
from rnncast.nn.losses import (
    broadcast_weight,
    check_huber_delta,
    check_quantiles,
    get_loss,
    output_loss,
)
from rnncast.nn.module import aligned_zeros, flat_views
from rnncast.nn.recurrent import Recurrent, Workspace, _run_parts


class RecurrentRegressor:
    """``head(h_T)``: a linear head on the top layer's last hidden state.

    Parameters
    ----------
    recurrent : RNN, GRU or LSTM
    head : Linear
        ``in_features`` equal to the layer's ``hidden_size``, the same dtype.

    Attributes
    ----------
    layers : [recurrent, head], what optimizers and ``clip_grad_norm`` take.
    """

    def __init__(self, recurrent: Recurrent, head: Linear) -> None:
        if not isinstance(recurrent, Recurrent):
            raise TypeError(f"recurrent must be an RNN, GRU or LSTM layer, got "
                            f"{type(recurrent).__name__}.")
        if not isinstance(head, Linear):
            raise TypeError(f"head must be a Linear layer, got {type(head).__name__}.")
        if head.in_features != recurrent.hidden_size:
            raise ShapeError(f"head has in_features={head.in_features}, but the recurrent "
                             f"layer's hidden_size is {recurrent.hidden_size}: the head "
                             "reads its last hidden state. Make them equal.")
        if head.dtype != recurrent.dtype:
            raise TypeError(f"head is {head.dtype.name} and the recurrent layer "
                            f"{recurrent.dtype.name}; give both the same dtype.")
        self.recurrent, self.head = recurrent, head
        self.layers = [recurrent, head]
        self._final_shape = None  # (L, B, H) of the last composed forward
        self._top_states = None  # () -> (B, T, H): the last pass's top-layer states
        self._step = None  # the _FusedStep of the last batch shape

    def __getstate__(self):
        """Copies and pickles leave out the compiled step's argument tuples, which hold
        views of this network's own arrays; a copy builds its own on its first step."""
        return {**self.__dict__, "_step": None, "_top_states": None, "_final_shape": None}

    def __repr__(self) -> str:
        return f"RecurrentRegressor({self.recurrent!r}, {self.head!r})"

    @property
    def dtype(self) -> np.dtype:
        return self.recurrent.dtype

    def forward(self, x) -> np.ndarray:
        """x (batch, time, input_size) -> (batch, out_features)."""
        outputs, final = self.recurrent.forward(x)  # (B, T, H)
        h = final[0] if self.recurrent.has_cell_state else final  # (L, B, H)
        self._final_shape = h.shape
        self._top_states = lambda: outputs
        return self.head.forward(h[-1])

    __call__ = forward

    def backward(self, d_outputs) -> None:
        """Add the gradients of the last ``forward`` into the layers' ``grads``;
        d_outputs (batch, out_features)."""
        if self._final_shape is None:
            raise RuntimeError("RecurrentRegressor.backward called before forward.")
        d_h = np.zeros(self._final_shape, dtype=self.dtype)
        d_h[-1] = self.head.backward(d_outputs)
        d_final = (d_h, None) if self.recurrent.has_cell_state else d_h
        # the initial state is zero and the windows are data: neither needs a gradient
        self.recurrent.backward(None, d_final, input_grad=False, state_grad=False)

    def zero_grad(self) -> None:
        for layer in self.layers:
            layer.zero_grad()

    def loss_and_gradients(self, x, target, loss: str = "mse", *, weight=None,
                           quantiles=None, delta: float = 1.0) -> float:
        """One training step short of the optimizer: the loss of a batch, and its
        gradients written into each layer's ``grads`` (over them, not added).

        Parameters
        ----------
        x : array (batch, time, input_size)
        target : array (batch, S)
            With ``quantiles``, the head has ``S * Q`` outputs, output ``k`` the
            forecast of target ``k // Q`` at quantile ``quantiles[k % Q]``; otherwise
            ``S`` outputs.
        loss : {"mse", "mae", "huber", "pinball"}
            As the functions of ``rnncast.nn.losses``, means over all outputs.
        weight : array broadcastable to (batch, S), optional
            Each target's weight in the loss (the same for all its quantiles).
        quantiles : sequence of Q floats in (0, 1); the pinball loss's, and only its.
        delta : float, the Huber loss's.

        Returns
        -------
        float
            The loss value, as the loss function gives it for ``forward(x)``.
        """
        get_loss(loss)  # an unknown name is an error that lists the known ones
        if (loss == "pinball") != (quantiles is not None):
            raise ValueError("quantiles go with loss='pinball' and only with it: give "
                             "both or neither.")
        if loss == "huber":
            check_huber_delta(delta)
        count = 1 if quantiles is None else len(quantiles)
        target = np.asarray(target, dtype=self.dtype)
        if target.ndim != 2 or target.shape[1] * count != self.head.out_features:
            expected = ("(batch, out_features)" if quantiles is None else
                        f"(batch, out_features / {count} quantiles)")
            raise ShapeError(f"target has shape {target.shape}; the head has "
                             f"{self.head.out_features} outputs, so it must be {expected}.")
        recurrent = self.recurrent
        x = recurrent._check_input(x)
        if x.shape[0] != target.shape[0]:
            raise ShapeError(f"x has {x.shape[0]} windows but target has "
                             f"{target.shape[0]} rows; give one target row per window.")
        if not (recurrent.compiled and recurrent.num_layers == 1):
            return self._composed_step(x, target, loss, weight, quantiles, delta)
        if weight is not None:
            weight = broadcast_weight(loss, weight, target.shape)
        key = (x.shape, target.shape[1], loss, None if quantiles is None else
               tuple(quantiles), delta, tuple(part.indices(x.shape[0])[:2] for part in
                                              recurrent._batch_parts(*x.shape[:2])))
        if self._step is None or self._step.key != key:
            quantile_values = (None if quantiles is None
                               else check_quantiles(quantiles, self.dtype))
            self._step = _FusedStep(key, recurrent, self.head, quantile_values)
        value = self._step.run(x, target, weight)
        self._top_states = self._step.top_states
        return value

    def _composed_step(self, x, target, loss, weight, quantiles, delta):
        """``loss_and_gradients`` through forward, a loss function and backward: the
        reference, and the path of the NumPy backend and of stacked layers."""
        self.zero_grad()
        value, grad = output_loss(self.forward(x), target, loss, weight=weight,
                                  quantiles=quantiles, delta=delta)
        self.backward(grad)
        return value

    def top_states(self) -> np.ndarray:
        """The top layer's hidden states (batch, time, hidden) in the last ``forward``
        or ``loss_and_gradients``, read-only."""
        if self._top_states is None:
            raise RuntimeError("RecurrentRegressor.top_states called before a forward pass.")
        return self._top_states()


class _FusedStep:
    """``loss_and_gradients`` for one batch shape, one layer, the compiled backend.

    Every buffer of the pass and every argument tuple of the three part functions
    (``kernels.PART_KERNELS``: the layer's forward, ``head_loss``, the layer's
    backward) is made here once; a step refreshes the input projection's weights (with
    the gate scale; each part makes its own W_hh^T), copies the batch into each part's
    buffers and makes the three calls. Part 0 writes the layers' ``grads``, the
    others their own buffers, added in after, in part order.
    """

    def __init__(self, key, recurrent, head, quantiles):
        (batch, steps, features), targets, loss, _, delta, parts = key
        self.key, self.recurrent, self.head = key, recurrent, head
        self.parts = [slice(start, stop) for start, stop in parts]
        dtype, hidden = recurrent.dtype, recurrent.hidden_size
        gate_width = recurrent.num_gates * hidden
        self.weight_t = aligned_zeros(features * gate_width, dtype).reshape(features, gate_width)
        self.bias = aligned_zeros(gate_width, dtype)
        quantile_values = np.ones(1, dtype) if quantiles is None else quantiles
        names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        inverse_count = dtype.type(1.0 / (batch * head.out_features))
        self.inputs, self.targets, self.weights, self.states, self.losses = [], [], [], [], []
        self.head_buffers = []  # parts 1, 2, ...: flat gradient buffers of the head
        forward_calls, head_calls, backward_calls = [], [], []
        for index, part in enumerate(self.parts):
            rows = part.stop - part.start
            empty = Workspace().empty  # the step's own: the layer's serve its other calls
            layer_input = empty("input", (steps, rows, features), dtype)
            x_proj = empty("x_proj", (steps, rows, gate_width), dtype)
            initial = tuple(np.zeros((rows, hidden), dtype)
                            for _ in range(2 if recurrent.has_cell_state else 1))
            arguments, (states, _, cache) = recurrent._forward_call(x_proj, initial, 0, empty)
            weight_hh = recurrent.params[names[1]]
            forward_calls.append((weight_hh, recurrent._compiled_gate_scale(),
                                  empty("weight_hh_t", (hidden, gate_width), dtype),
                                  layer_input, self.weight_t, self.bias, x_proj, *arguments,
                                  None))
            backward_arguments, _, _, d_final = recurrent._backward_call(
                None, (None,) * len(initial), cache, 0, empty, False)
            if index == 0:
                layer_grads, head_grads = recurrent.grads, head.grads
            else:
                layer_grads = recurrent._part_gradients(index)
                flat = aligned_zeros(head.flat_grads.size, dtype)
                self.head_buffers.append(flat)
                head_grads = flat_views(flat, {name: grad.shape
                                               for name, grad in head.grads.items()})
            target_rows = empty("target", (rows, targets), dtype)
            weight_rows = empty("weight", (rows, targets), dtype)
            loss_sum = np.zeros(1)
            head_calls.append((states, head.params["weight"], head.params["bias"], target_rows,
                               weight_rows, kernels.LOSS_KINDS[loss], dtype.type(delta),
                               quantile_values, inverse_count, d_final[0],
                               head_grads["weight"], head_grads["bias"],
                               d_final[1] if len(d_final) > 1 else None, loss_sum))
            weight_ih = recurrent.params[names[0]]
            backward_calls.append((*backward_arguments, layer_input, weight_ih, rows,
                                   *(layer_grads[name] for name in names),
                                   empty("scratch_ih", weight_ih.shape, dtype),
                                   empty("scratch_hh", (gate_width, hidden), dtype),
                                   False, None))
            self.inputs.append(layer_input)
            self.targets.append(target_rows)
            self.weights.append(weight_rows)
            self.states.append(states)
            self.losses.append(loss_sum)
        self.calls = [(kernels.PART_KERNELS[name], calls, tuple(zip(*calls, strict=True)))
                      for name, calls in ((f"{recurrent.kernel}_forward", forward_calls),
                                          ("head_loss", head_calls),
                                          (f"{recurrent.kernel}_backward", backward_calls))]
        self.weighted = None  # whether the weight buffers hold weights, not ones (None:
        # not yet filled)

    def run(self, x, target, weight):
        recurrent = self.recurrent
        weight_t, bias = recurrent._projection_weights(0)
        self.weight_t[...] = weight_t
        self.bias[...] = bias
        time_major = x.transpose(1, 0, 2)  # (T, B, I)
        for part, inputs, targets in zip(self.parts, self.inputs, self.targets, strict=True):
            np.copyto(inputs, time_major[:, part])
            np.copyto(targets, target[part])
        if weight is not None or self.weighted is not False:
            for part, weights in zip(self.parts, self.weights, strict=True):
                np.copyto(weights, 1 if weight is None else weight[part])
            self.weighted = weight is not None
        with recurrent._loop_threads():
            for functions, calls, zipped in self.calls:
                _run_parts(functions, calls, zipped)
        for index, head_buffer in enumerate(self.head_buffers, start=1):
            kernels.add_into(recurrent.flat_grads, recurrent._part_buffers[index][0])
            kernels.add_into(self.head.flat_grads, head_buffer)
        return float(sum(loss_sum[0] for loss_sum in self.losses)) / (
            len(x) * self.head.out_features)

    def top_states(self):
        top = [states[1:] for states in self.states]  # (T, b, H) each
        joined = top[0] if len(top) == 1 else np.concatenate(top, axis=1)
        joined = joined.transpose(1, 0, 2)
        joined.flags.writeable = False
        return joined
