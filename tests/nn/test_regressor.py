"""RecurrentRegressor: its compiled training step against the composed one and PyTorch."""

import copy
import pickle

import numpy as np
import pytest

from rnncast.errors import ShapeError
from rnncast.nn import GRU, LSTM, RNN, Adam, Linear, RecurrentRegressor, kernels
from rnncast.nn.losses import huber, mae, mse

CELLS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}
QUANTILES = (0.1, 0.5, 0.9)


def needs_compiled():
    if not kernels.AVAILABLE:
        pytest.skip("numba is not installed")


def network(cell, hidden=5, targets=3, quantiles=None, dtype="float64", backend="numba",
            num_layers=1, split=False, input_size=2, seed=0):
    outputs = targets * (1 if quantiles is None else len(quantiles))
    layer = CELLS[cell](input_size, hidden, num_layers, dtype=dtype, seed=seed,
                        backend=backend, threads=2 if split else 1)
    if split:  # cut even a small batch in two parts
        layer.min_part_work, layer.min_part_rows = 1, 2
    return RecurrentRegressor(layer, Linear(hidden, outputs, dtype=dtype, seed=seed + 1))


def batch(rng, rows=12, steps=6, targets=3, input_size=2):
    x = rng.standard_normal((rows, steps, input_size))
    target = rng.standard_normal((rows, targets))
    weight = rng.random((rows, targets)) * (rng.random((rows, targets)) > 0.2)  # some 0
    return x, target, weight


def relative(a, b):
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
    return float(np.abs(np.asarray(a, np.float64) - b).max() / scale)


def grads(net):
    return [layer.flat_grads.copy() for layer in net.layers]


@pytest.mark.parametrize("split", [False, True], ids=["one-part", "two-parts"])
@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "pinball"])
@pytest.mark.parametrize("cell", CELLS)
def test_compiled_step_equals_the_composed_one(cell, loss, split):
    """The compiled step (layer, head and loss in part functions) gives the loss and
    every gradient that forward, the loss function and backward give."""
    needs_compiled()
    quantiles = QUANTILES if loss == "pinball" else None
    x, target, weight = batch(np.random.default_rng(1))
    fused = network(cell, quantiles=quantiles, split=split)
    composed = network(cell, quantiles=quantiles, split=split)
    value = fused.loss_and_gradients(x, target, loss, weight=weight, quantiles=quantiles,
                                     delta=0.7)
    assert len(fused._step.parts) == (2 if split else 1)
    reference = composed._composed_step(x, target, loss, weight, quantiles, 0.7)
    assert value == pytest.approx(reference, rel=1e-12)
    for ours, theirs in zip(grads(fused), grads(composed), strict=True):
        assert relative(ours, theirs) < 1e-12


@pytest.mark.parametrize("cell", CELLS)
def test_compiled_step_in_float32_agrees_to_float_rounding(cell):
    needs_compiled()
    x, target, weight = batch(np.random.default_rng(2), rows=40)
    # the benchmark's case in two parts; one part for the others (compiling the
    # parallel functions for each cell in float32 too took 30 s of a cold test run)
    nets = [network(cell, hidden=16, dtype="float32", split=cell == "lstm")
            for _ in range(2)]
    value = nets[0].loss_and_gradients(x, target, "mae", weight=weight)
    reference = nets[1]._composed_step(x, target.astype(np.float32), "mae", weight, None, 1.0)
    assert value == pytest.approx(reference, rel=1e-5)
    for ours, theirs in zip(grads(nets[0]), grads(nets[1]), strict=True):
        assert ours.dtype == np.float32
        assert relative(ours, theirs) < 1e-5


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
@pytest.mark.parametrize("cell", CELLS)
def test_loss_and_gradients_equal_pytorch(torch, cell, loss, backend):
    if backend == "numba":
        needs_compiled()
    x, target, weight = batch(np.random.default_rng(3))
    ours = network(cell, backend=backend, split=backend == "numba")
    value = ours.loss_and_gradients(x, target, loss, weight=weight, delta=0.5)

    layer = getattr(torch.nn, cell.upper())(2, 5, batch_first=True).double()
    head = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        for name, parameter in layer.named_parameters():
            parameter.copy_(torch.from_numpy(ours.recurrent.params[name]))
        head.weight.copy_(torch.from_numpy(ours.head.params["weight"]))
        head.bias.copy_(torch.from_numpy(ours.head.params["bias"]))
    outputs, _ = layer(torch.from_numpy(x))
    difference = head(outputs[:, -1]) - torch.from_numpy(target)
    elementwise = {"mse": difference ** 2, "mae": difference.abs(),
                   "huber": torch.nn.functional.huber_loss(
                       difference, torch.zeros_like(difference), reduction="none",
                       delta=0.5)}[loss]
    torch_value = (torch.from_numpy(weight) * elementwise).mean()
    torch_value.backward()
    assert value == pytest.approx(torch_value.item(), rel=1e-10)
    for name, parameter in layer.named_parameters():
        assert relative(ours.recurrent.grads[name], parameter.grad.numpy()) < 1e-10
    assert relative(ours.head.grads["weight"], head.weight.grad.numpy()) < 1e-10
    assert relative(ours.head.grads["bias"], head.bias.grad.numpy()) < 1e-10


def test_pinball_gradients_follow_the_quantile_layout():
    """Output k is target k // Q at quantile k % Q: the step's loss is the pinball loss
    of the predictions reshaped (batch, S, Q)."""
    needs_compiled()
    x, target, _ = batch(np.random.default_rng(4))
    net = network("gru", quantiles=QUANTILES)
    value = net.loss_and_gradients(x, target, "pinball", quantiles=QUANTILES)
    prediction = net.forward(x).reshape(12, 3, 3)
    error = target[..., None] - prediction
    q = np.asarray(QUANTILES)
    assert value == pytest.approx(np.maximum(q * error, (q - 1) * error).mean(), rel=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_gradients_are_written_over_not_added(backend):
    if backend == "numba":
        needs_compiled()
    x, target, weight = batch(np.random.default_rng(5))
    net = network("lstm", backend=backend, split=True)
    net.loss_and_gradients(x, target, "mse", weight=weight)
    once = grads(net)
    for layer in net.layers:
        layer.flat_grads += 1.0  # stale gradients from elsewhere
    net.loss_and_gradients(x, target, "mse", weight=weight)
    for again, first in zip(grads(net), once, strict=True):
        np.testing.assert_array_equal(again, first)


@pytest.mark.parametrize("cell", CELLS)
def test_training_steps_follow_the_composed_trajectory(cell):
    """Weights changed in place between steps (the optimizer's update, load_state_dict)
    reach the compiled step, whose argument tuples were built on the first one; batch
    sizes that change (an epoch's last, short batch) build new ones."""
    needs_compiled()
    rng = np.random.default_rng(6)
    nets = [network(cell, split=True) for _ in range(2)]
    optimizers = [Adam(net.layers, lr=0.05) for net in nets]
    for rows in (12, 12, 5, 12):
        x, target, weight = batch(rng, rows=rows)
        nets[0].loss_and_gradients(x, target, "mae", weight=weight)
        nets[1]._composed_step(x, target, "mae", weight, None, 1.0)
        for optimizer in optimizers:
            optimizer.step()
    nets[0].recurrent.load_state_dict(nets[1].recurrent.state_dict())
    x, target, weight = batch(rng, rows=12)
    values = (nets[0].loss_and_gradients(x, target, "mae", weight=weight),
              nets[1]._composed_step(x, target, "mae", weight, None, 1.0))
    assert values[0] == pytest.approx(values[1], rel=1e-10)
    for ours, theirs in zip(grads(nets[0]), grads(nets[1]), strict=True):
        assert relative(ours, theirs) < 1e-10


def test_same_seed_and_data_train_to_the_same_bits():
    needs_compiled()
    results = []
    for _ in range(2):
        net = network("lstm", hidden=16, dtype="float32", split=True)
        optimizer = Adam(net.layers, lr=1e-2)
        rng = np.random.default_rng(7)
        for _ in range(5):
            x, target, weight = batch(rng, rows=32)
            net.loss_and_gradients(x, target, "huber", weight=weight)
            optimizer.step()
        results.append(np.concatenate([layer.flat_params for layer in net.layers]))
    np.testing.assert_array_equal(*results)


@pytest.mark.parametrize("cell", CELLS)
def test_step_gives_the_same_bits_in_a_parallel_region_and_on_the_thread_pool(cell,
                                                                              monkeypatch):
    needs_compiled()
    x, target, weight = batch(np.random.default_rng(8))
    results = []
    for regions in (True, False):
        monkeypatch.setattr(kernels, "parallel_regions", lambda answer=regions: answer)
        net = network(cell, split=True)
        results.append((net.loss_and_gradients(x, target, "mse", weight=weight),
                        *grads(net)))
    for ours, pooled in zip(*results, strict=True):
        np.testing.assert_array_equal(ours, pooled)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_top_states_are_the_top_layers_outputs(backend, num_layers):
    if backend == "numba":
        needs_compiled()
    x, target, _ = batch(np.random.default_rng(9))
    net = network("gru", backend=backend, num_layers=num_layers, split=num_layers == 1)
    net.loss_and_gradients(x, target, "mse")
    states = net.top_states().copy()
    outputs, _ = net.recurrent.forward(x)
    np.testing.assert_allclose(states, outputs, rtol=1e-12)
    assert not net.top_states().flags.writeable


def test_stacked_layers_train_through_the_composed_step():
    """The compiled step covers one layer; two go through forward and backward, with the
    same results as calling them by hand."""
    needs_compiled()
    x, target, weight = batch(np.random.default_rng(10))
    net = network("lstm", num_layers=2)
    value = net.loss_and_gradients(x, target, "mse", weight=weight)
    assert net._step is None
    twin = network("lstm", num_layers=2)
    loss, grad = mse(twin.forward(x), target, weight=weight)
    twin.backward(grad)
    assert value == loss
    for ours, theirs in zip(grads(net), grads(twin), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_no_weight_means_equal_weights():
    needs_compiled()
    x, target, weight = batch(np.random.default_rng(11))
    net = network("rnn")
    weighted = net.loss_and_gradients(x, target, "mae", weight=weight)
    plain = net.loss_and_gradients(x, target, "mae")  # after a weighted call: ones again
    assert plain == pytest.approx(mae(net.forward(x), target)[0], rel=1e-12)
    assert weighted != plain
    per_window = net.loss_and_gradients(x, target, "huber", weight=weight[:, :1])
    assert per_window == pytest.approx(
        huber(net.forward(x), target, weight=weight[:, :1])[0], rel=1e-12)


@pytest.mark.parametrize(("arguments", "error", "message"), [
    ({"target": np.zeros((12, 4))}, ShapeError, r"head has 3 outputs"),
    ({"target": np.zeros((11, 3))}, ShapeError, r"12 windows but target has 11 rows"),
    ({"loss": "l1"}, ValueError, r"unknown loss 'l1'; choose one of huber, mae, mse"),
    ({"loss": "pinball"}, ValueError, r"quantiles go with loss='pinball'"),
    ({"quantiles": (0.5,)}, ValueError, r"quantiles go with loss='pinball'"),
    ({"weight": np.ones((12, 2))}, ShapeError, r"weight has shape \(12, 2\)"),
    ({"loss": "huber", "delta": 0}, ValueError, r"delta must be > 0"),
    ({"loss": "pinball", "quantiles": (0.5, 1.0, 0.2)}, ValueError, r"strictly between"),
])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_bad_arguments_are_named(backend, arguments, error, message):
    if backend == "numba":
        needs_compiled()
    x, target, _ = batch(np.random.default_rng(12))
    call = {"x": x, "target": target, "loss": "mse", **arguments}
    if call["loss"] == "pinball" and "quantiles" in call:
        call["target"] = target[:, :1]
    with pytest.raises(error, match=message):
        network("gru", backend=backend).loss_and_gradients(**call)


def test_head_must_read_the_layers_hidden_state():
    with pytest.raises(ShapeError, match="in_features=4.*hidden_size is 5"):
        RecurrentRegressor(GRU(1, 5), Linear(4, 2))
    with pytest.raises(TypeError, match="same dtype"):
        RecurrentRegressor(GRU(1, 5), Linear(5, 2, dtype="float64"))
    with pytest.raises(TypeError, match="RNN, GRU or LSTM"):
        RecurrentRegressor(Linear(5, 5), Linear(5, 2))
    with pytest.raises(RuntimeError, match="before forward"):
        RecurrentRegressor(GRU(1, 5), Linear(5, 2)).backward(np.zeros((3, 2)))


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda n: pickle.loads(pickle.dumps(n))],
                         ids=["deepcopy", "pickle"])
def test_a_copy_trains_its_own_weights(copier):
    """A copied network's parameters and gradients are views of its own flat buffers
    (copied one by one, they were separate arrays: the optimizer updated weights the
    layers never read), and its compiled step is built over them, not the original's."""
    needs_compiled()
    rng = np.random.default_rng(13)
    x, target, weight = batch(rng)
    original = network("lstm", split=True)
    original.loss_and_gradients(x, target, "mae", weight=weight)  # builds its step
    twin = copier(original)
    for layer, copied in zip(original.layers, twin.layers, strict=True):
        for name in layer.params:
            assert np.shares_memory(copied.params[name], copied.flat_params)
            assert np.shares_memory(copied.grads[name], copied.flat_grads)
            assert not np.shares_memory(copied.params[name], layer.flat_params)
        assert copied.flat_params.ctypes.data % 64 == 0
    optimizer = Adam(twin.layers, lr=0.1)
    before = [layer.flat_params.copy() for layer in original.layers]
    for _ in range(3):
        twin.loss_and_gradients(x, target, "mae", weight=weight)
        optimizer.step()
    for layer, kept in zip(original.layers, before, strict=True):
        np.testing.assert_array_equal(layer.flat_params, kept)  # the original untouched
    fresh = network("lstm", split=True)
    for layer, trained in zip(fresh.layers, twin.layers, strict=True):
        layer.load_state_dict(trained.state_dict())
    value = twin.loss_and_gradients(x, target, "mae", weight=weight)
    assert value == fresh.loss_and_gradients(x, target, "mae", weight=weight)
    assert value < original.loss_and_gradients(x, target, "mae", weight=weight)
