"""RNN, GRU and LSTM: gradients against finite differences and against PyTorch."""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from rnncast.errors import ShapeError
from rnncast.nn import GRU, LSTM, RNN, check_gradients, kernels

CELLS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}
TORCH_CELLS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    """Both time loops: the NumPy reference and the compiled one."""
    if request.param == "numba" and not kernels.AVAILABLE:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("numba is required under CI=true: pip install -e '.[test]'")
        pytest.skip("numba is not installed: pip install -e '.[fast]'")
    return request.param


def random_state(cell, num_layers, batch, hidden, rng, dtype=np.float64):
    h = rng.standard_normal((num_layers, batch, hidden)).astype(dtype)
    if cell == "lstm":
        return h, rng.standard_normal((num_layers, batch, hidden)).astype(dtype)
    return h


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_gradients_match_finite_differences(cell, num_layers, with_state, backend):
    rng = np.random.default_rng(1)
    layer = CELLS[cell](3, 4, num_layers, dtype="float64", seed=2, backend=backend)
    x = rng.standard_normal((2, 5, 3))
    state = random_state(cell, num_layers, 2, 4, rng) if with_state else None
    errors = check_gradients(layer, x, state)
    expected = {"input", *layer.params} | (
        {"initial_h", "initial_c"} if with_state and cell == "lstm"
        else {"initial_h"} if with_state else set())
    assert set(errors) == expected
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("cell", CELLS)
def test_dropout_between_layers_backpropagates_through_its_mask(cell, backend):
    rng = np.random.default_rng(3)
    layer = CELLS[cell](2, 3, 3, dropout=0.4, dtype="float64", seed=4, backend=backend)
    errors = check_gradients(layer, rng.standard_normal((3, 4, 2)))
    assert max(errors.values()) < 1e-6, errors


def test_relu_rnn_gradients_match_finite_differences(backend):
    layer = RNN(2, 4, 2, nonlinearity="relu", dtype="float64", seed=5, backend=backend)
    errors = check_gradients(layer, np.random.default_rng(6).standard_normal((3, 4, 2)))
    assert max(errors.values()) < 1e-6, errors


def relative(ours, theirs):
    theirs = np.asarray(theirs)
    return np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30)


def run_both(torch, cell, num_layers, dtype, seed, backend, nonlinearity="tanh",
             zero_state=False):
    """Same weights, inputs and output gradients through rnncast and PyTorch; with
    ``zero_state``, rnncast gets ``state=None`` and PyTorch zeros."""
    rng = np.random.default_rng(seed)
    batch, steps, features, hidden = (int(v) for v in rng.integers([1, 1, 1, 1], [6, 9, 5, 9]))
    torch_dtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    torch.manual_seed(seed)
    kwargs = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
    reference = getattr(torch.nn, TORCH_CELLS[cell])(
        features, hidden, num_layers, batch_first=True, **kwargs).to(torch_dtype)
    layer = CELLS[cell](features, hidden, num_layers, dtype=dtype, backend=backend, **kwargs)
    layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})

    x = rng.standard_normal((batch, steps, features)).astype(dtype)
    state = random_state(cell, num_layers, batch, hidden, rng, dtype)
    if zero_state:
        state = tuple(np.zeros_like(s) for s in state) if cell == "lstm" else state * 0
    d_out = rng.standard_normal((batch, steps, hidden)).astype(dtype)
    d_final = random_state(cell, num_layers, batch, hidden, rng, dtype)
    states = state if cell == "lstm" else (state,)
    d_finals = d_final if cell == "lstm" else (d_final,)

    x_t = torch.tensor(x, requires_grad=True)
    states_t = [torch.tensor(s, requires_grad=True) for s in states]
    out_t, final_t = reference(x_t, tuple(states_t) if cell == "lstm" else states_t[0])
    finals_t = final_t if cell == "lstm" else (final_t,)
    objective = (out_t * torch.tensor(d_out)).sum() + sum(
        (f * torch.tensor(d)).sum() for f, d in zip(finals_t, d_finals))
    objective.backward()

    out, final = layer.forward(x, None if zero_state else state)
    d_x, d_state = layer.backward(d_out, d_final)
    finals = final if cell == "lstm" else (final,)
    d_states = d_state if cell == "lstm" else (d_state,)
    pairs = {"outputs": (out, out_t.detach().numpy()), "d_x": (d_x, x_t.grad.numpy())}
    for k, (ours, theirs) in enumerate(zip(finals, finals_t)):
        pairs[f"final_{k}"] = (ours, theirs.detach().numpy())
    for k, (ours, theirs) in enumerate(zip(d_states, states_t)):
        pairs[f"d_initial_{k}"] = (ours, theirs.grad.numpy())
    for name, param in reference.named_parameters():
        pairs[name] = (layer.grads[name], param.grad.numpy())
    return {name: relative(ours, theirs) for name, (ours, theirs) in pairs.items()}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_outputs_states_and_gradients_equal_pytorch(torch, cell, num_layers, dtype,
                                                    tolerance, seed, backend):
    errors = run_both(torch, cell, num_layers, dtype, seed, backend)
    assert len(errors) >= 4 + 4 * num_layers
    assert max(errors.values()) < tolerance, errors


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_zero_initial_state_equals_pytorch(torch, cell, num_layers, dtype, tolerance, backend):
    # the first step's product with a zero state and its rows of dW_hh are skipped
    errors = run_both(torch, cell, num_layers, dtype, 2, backend, zero_state=True)
    assert len(errors) >= 4 + 4 * num_layers
    assert max(errors.values()) < tolerance, errors


def test_relu_rnn_equals_pytorch(torch, backend):
    errors = run_both(torch, "rnn", 2, "float64", 7, backend, nonlinearity="relu")
    assert max(errors.values()) < 1e-10, errors


@pytest.mark.parametrize("cell", CELLS)
def test_weights_exported_to_pytorch_give_the_same_outputs(torch, cell):
    layer = CELLS[cell](2, 6, 2, dtype="float64", seed=8, init="orthogonal")
    reference = getattr(torch.nn, TORCH_CELLS[cell])(2, 6, 2, batch_first=True).double()
    reference.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
    x = np.random.default_rng(9).standard_normal((3, 5, 2))
    out, _ = layer.forward(x)
    assert relative(out, reference(torch.tensor(x))[0].detach().numpy()) < 1e-12


@pytest.mark.parametrize("cell", CELLS)
def test_gradients_accumulate_until_zero_grad(cell):
    rng = np.random.default_rng(10)
    layer = CELLS[cell](2, 3, 2, dtype="float64", seed=11)
    x = rng.standard_normal((2, 4, 2))
    d_out = rng.standard_normal((2, 4, 3))
    layer.forward(x)
    layer.backward(d_out)
    once = layer.flat_grads.copy()
    layer.forward(x)
    layer.backward(d_out)
    np.testing.assert_allclose(layer.flat_grads, 2 * once, rtol=1e-12)
    layer.zero_grad()
    assert not layer.flat_grads.any()


@pytest.mark.parametrize("cell", CELLS)
def test_missing_output_gradient_means_zero(cell, backend):
    rng = np.random.default_rng(12)
    layer = CELLS[cell](1, 3, 2, dtype="float64", seed=13, backend=backend)
    x = rng.standard_normal((4, 6, 1))
    _, final = layer.forward(x)
    d_final = tuple(np.ones_like(f) for f in final) if cell == "lstm" else np.ones_like(final)
    d_x_none, _ = layer.backward(None, d_final)
    grads_none = layer.flat_grads.copy()
    layer.zero_grad()
    d_x_zero, _ = layer.backward(np.zeros((4, 6, 3)), d_final)
    np.testing.assert_allclose(d_x_none, d_x_zero, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads_none, layer.flat_grads, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cell", CELLS)
def test_default_initialisation_is_uniform_within_one_over_sqrt_hidden(cell):
    layer = CELLS[cell](3, 16, 2, seed=14)
    assert layer.dtype == np.float32
    assert np.abs(layer.flat_params).max() <= 0.25
    assert np.abs(layer.flat_params).max() > 0.24  # spread over the whole range


@pytest.mark.parametrize("cell", CELLS)
def test_orthogonal_option_makes_each_recurrent_gate_block_orthogonal(cell):
    layer = CELLS[cell](1, 5, 1, seed=15, init="orthogonal", dtype="float64")
    weight_hh = layer.params["weight_hh_l0"]
    for gate in range(layer.num_gates):
        block = weight_hh[gate * 5 : (gate + 1) * 5]
        np.testing.assert_allclose(block @ block.T, np.eye(5), atol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_same_seed_gives_identical_weights_and_outputs(cell):
    x = np.random.default_rng(16).standard_normal((2, 3, 1))
    first, second = CELLS[cell](1, 4, seed=17), CELLS[cell](1, 4, seed=17)
    np.testing.assert_array_equal(first.flat_params, second.flat_params)
    np.testing.assert_array_equal(first.forward(x)[0], second.forward(x)[0])


def test_eval_mode_turns_dropout_off():
    layer = GRU(1, 4, 2, dropout=0.5, seed=18)
    x = np.random.default_rng(19).standard_normal((2, 3, 1))
    layer.eval()
    first = layer.forward(x)[0].copy()
    np.testing.assert_array_equal(first, layer.forward(x)[0])
    layer.train()
    assert not np.array_equal(first, layer.forward(x)[0])


def test_outputs_are_read_only_views():
    outputs, _ = RNN(1, 3).forward(np.zeros((2, 4, 1)))
    with pytest.raises(ValueError):
        outputs[0, 0, 0] = 1.0


@pytest.mark.parametrize("bad_shape", [(4, 1), (2, 3, 2), (0, 3, 1)])
def test_wrong_input_shape_names_the_expected_shape(bad_shape):
    with pytest.raises(ShapeError, match=r"\(batch, time, 1\)"):
        LSTM(1, 3).forward(np.zeros(bad_shape))


def test_wrong_state_shape_is_reported():
    with pytest.raises(ShapeError, match=r"expected \(num_layers, batch, hidden_size\)"):
        RNN(1, 3, 2).forward(np.zeros((4, 2, 1)), np.zeros((1, 4, 3)))
    with pytest.raises(ShapeError, match="pair"):
        LSTM(1, 3).forward(np.zeros((4, 2, 1)), np.zeros((1, 4, 3)))


def test_load_state_dict_names_missing_and_misshaped_parameters():
    layer = GRU(2, 3)
    state = layer.state_dict()
    with pytest.raises(KeyError, match="weight_hh_l0"):
        layer.load_state_dict({k: v for k, v in state.items() if k != "weight_hh_l0"})
    state["bias_ih_l0"] = np.zeros(4)
    with pytest.raises(ShapeError, match=r"'bias_ih_l0' has shape \(4,\), expected \(9,\)"):
        layer.load_state_dict(state)


def test_load_state_dict_lists_every_misshaped_parameter_and_loads_none_of_them():
    layer = LSTM(2, 3, seed=1)
    before = layer.flat_params.copy()
    state = LSTM(2, 4, seed=2).state_dict()
    with pytest.raises(ShapeError) as error:
        layer.load_state_dict(state)
    message = str(error.value)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        assert f"'{name}' has shape" in message
    assert "Nothing was loaded" in message and "input_size, hidden_size and num_layers" in message
    np.testing.assert_array_equal(layer.flat_params, before)


def test_load_state_dict_spots_the_prefix_of_a_larger_models_keys():
    layer = GRU(1, 3)
    prefixed = {f"encoder.rnn.{key}": value for key, value in layer.state_dict().items()}
    prefixed["head.weight"] = np.zeros((1, 3))
    with pytest.raises(KeyError) as error:
        layer.load_state_dict(prefixed)
    message = str(error.value)
    assert message.startswith("GRU.load_state_dict: missing keys")  # not quoted like a key
    assert "prefix 'encoder.rnn.'" in message and "key.removeprefix('encoder.rnn.')" in message
    stripped = {k.removeprefix("encoder.rnn."): v for k, v in prefixed.items()
                if k.startswith("encoder.rnn.")}
    layer.load_state_dict(stripped)  # what the hint says works


def test_dropout_with_one_layer_warns_that_it_does_nothing():
    with pytest.warns(UserWarning, match="does nothing with num_layers=1") as caught:
        RNN(1, 3, dropout=0.5)
    assert caught[0].filename == __file__  # points at the caller, through RNN's __init__
    with pytest.warns(UserWarning, match="does nothing with num_layers=1") as caught:
        LSTM(1, 3, dropout=0.5)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GRU(1, 3, 2, dropout=0.5)


def test_every_module_switches_between_training_and_evaluation():
    from rnncast.nn import Linear

    modules = [Linear(3, 1), GRU(1, 3, 2, dropout=0.2)]
    for module in modules:
        assert module.eval() is module and module.training is False
        assert module.train() is module and module.training is True


@pytest.mark.parametrize("argument, value", [("hidden_size", 0), ("num_layers", 1.5)])
def test_invalid_sizes_are_rejected(argument, value):
    kwargs = {"input_size": 1, "hidden_size": 3, "num_layers": 1, argument: value}
    with pytest.raises(ValueError, match=argument):
        RNN(**kwargs)


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        LSTM(1, 2).backward(np.zeros((1, 1, 2)))


@pytest.mark.parametrize("cell", CELLS)
def test_compiled_and_numpy_loops_agree(cell):
    if not kernels.AVAILABLE:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(20)
    x = rng.standard_normal((5, 7, 1)).astype(np.float32)
    d_out = rng.standard_normal((5, 7, 6)).astype(np.float32)
    results = {}
    for backend in ("numpy", "numba"):
        layer = CELLS[cell](1, 6, 2, seed=21, backend=backend)
        outputs, _ = layer.forward(x)
        d_x, _ = layer.backward(d_out)
        results[backend] = (outputs.copy(), d_x, layer.flat_grads.copy())
    for ours, reference in zip(results["numba"], results["numpy"]):
        assert relative(ours, reference) < 1e-5


def test_input_gradient_can_be_skipped():
    layer = LSTM(2, 3, 2, dtype="float64", seed=22)
    x = np.random.default_rng(23).standard_normal((2, 4, 2))
    layer.forward(x)
    d_x, _ = layer.backward(np.ones((2, 4, 3)))
    full = layer.flat_grads.copy()
    layer.zero_grad()
    layer.forward(x)
    skipped, d_state = layer.backward(np.ones((2, 4, 3)), input_grad=False)
    assert skipped is None and d_x.shape == (2, 4, 2) and d_state[0].shape == (2, 2, 3)
    np.testing.assert_array_equal(full, layer.flat_grads)


@pytest.mark.parametrize("given_state", [False, True], ids=["zero-state", "given-state"])
@pytest.mark.parametrize("cell", CELLS)
def test_initial_state_gradient_can_be_skipped(cell, given_state, backend):
    rng = np.random.default_rng(24)
    layer = CELLS[cell](2, 3, 2, dtype="float64", seed=25, backend=backend)
    x = rng.standard_normal((2, 4, 2))
    state = random_state(cell, 2, 2, 3, rng) if given_state else None
    d_out = rng.standard_normal((2, 4, 3))
    layer.forward(x, state)
    d_x, d_state = layer.backward(d_out)
    full = layer.flat_grads.copy()
    layer.zero_grad()
    layer.forward(x, state)
    d_x_skipped, skipped = layer.backward(d_out, state_grad=False)
    assert skipped is None and d_state is not None
    np.testing.assert_array_equal(d_x_skipped, d_x)
    np.testing.assert_array_equal(layer.flat_grads, full)


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="backend"):
        GRU(1, 2, backend="cuda")


# -- parts of a batch on threads, and row blocks in the compiled loops ----------------------
def needs_compiled():
    if not kernels.AVAILABLE:
        pytest.skip("numba is not installed")


def run_forward_backward(layer, x, d_out):
    outputs, final = layer.forward(x)
    d_final = (final[0], None) if isinstance(final, tuple) else final
    d_x, d_state = layer.backward(d_out, d_final)
    return outputs.copy(), final, d_x, d_state, layer.flat_grads.copy()


@pytest.mark.parametrize("cell", CELLS)
def test_parts_of_the_batch_on_threads_give_the_whole_batch_result(cell):
    needs_compiled()
    rng = np.random.default_rng(30)
    x, d_out = rng.standard_normal((13, 6, 2)), rng.standard_normal((13, 6, 5))
    results = []
    for threads in (1, 3):
        layer = CELLS[cell](2, 5, 2, dropout=0.3, dtype="float64", seed=31, threads=threads)
        layer.min_part_work, layer.min_part_rows = 1, 2  # split even this small batch
        results.append(run_forward_backward(layer, x, d_out))
        assert len(layer._cache[2]) == threads
    whole, parts = results
    np.testing.assert_array_equal(parts[0], whole[0])  # outputs: each row's own arithmetic
    for ours, reference in zip(parts[1:], whole[1:]):
        for a, b in zip(*(o if isinstance(o, tuple) else (o,) for o in (ours, reference))):
            assert relative(a, b) < 1e-12
    # the same split twice gives the same bits, whatever the threads' timing
    again = CELLS[cell](2, 5, 2, dropout=0.3, dtype="float64", seed=31, threads=3)
    again.min_part_work, again.min_part_rows = 1, 2
    np.testing.assert_array_equal(run_forward_backward(again, x, d_out)[4], parts[4])


@pytest.mark.parametrize("cell", CELLS)
def test_parts_of_a_batch_accumulate_gradients_like_the_whole_batch(cell):
    """Each backward adds into grads, with the parts' own buffers zeroed every call: two
    backward passes without zero_grad give twice one, split or not."""
    needs_compiled()
    rng = np.random.default_rng(34)
    x, d_out = rng.standard_normal((12, 5, 2)), rng.standard_normal((12, 5, 4))
    sums = []
    for threads in (1, 2):
        layer = CELLS[cell](2, 4, dtype="float64", seed=35, threads=threads)
        layer.min_part_work, layer.min_part_rows = 1, 2
        once = run_forward_backward(layer, x, d_out)[4]
        run_forward_backward(layer, x, d_out)
        np.testing.assert_allclose(layer.flat_grads, 2 * once, rtol=1e-12)
        sums.append(layer.flat_grads.copy())
    assert relative(sums[1], sums[0]) < 1e-12


@pytest.mark.parametrize("shape", [(512, 128), (96, 32), (15, 5), (13, 7), (8, 16)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_transpose_gives_numpys_values_exactly(shape, dtype):
    """kernels.transpose_scaled, which each compiled part runs, against the NumPy loops'
    recurrent_weight_t: the same product per value, so the same bits."""
    needs_compiled()
    from rnncast.nn.recurrent import recurrent_weight_t

    rng = np.random.default_rng(36)
    weight = rng.standard_normal(shape).astype(dtype)
    scale = rng.standard_normal(shape[0]).astype(dtype)
    for factors in (np.ones(shape[0], dtype), scale):
        compiled = np.full(shape[::-1], np.nan, dtype=dtype)
        kernels.transpose_scaled(weight, factors, compiled)
        np.testing.assert_array_equal(compiled, weight.T * factors)
        np.testing.assert_array_equal(compiled, recurrent_weight_t(weight, factors))
    np.testing.assert_array_equal(recurrent_weight_t(weight), weight.T)
    into = np.empty(shape[::-1], dtype=dtype)
    assert recurrent_weight_t(weight, scale, out=into) is into


def test_batch_is_split_only_where_each_part_has_the_work_to_pay_for_a_thread():
    needs_compiled()
    layer = LSTM(1, 128, threads=2)
    assert layer._batch_parts(32, 48) == [slice(0, 16), slice(16, 32)]
    assert layer._batch_parts(32, 1) == [slice(None)]  # 48 steps of work make two parts
    assert layer._batch_parts(15, 48) == [slice(None)]  # fewer than 8 rows a part
    assert LSTM(1, 128, threads=1)._batch_parts(256, 48) == [slice(None)]
    assert LSTM(1, 128, threads=2, backend="numpy")._batch_parts(256, 48) == [slice(None)]
    assert LSTM(1, 16, threads=2)._batch_parts(64, 24) == [slice(None)]  # too small


@pytest.mark.parametrize("threads", [0, 1.5, -2])
def test_threads_must_be_a_positive_integer(threads):
    with pytest.raises(ValueError, match="threads"):
        RNN(1, 2, threads=threads)


def test_single_threaded_blas_restores_the_libraries_settings():
    needs_compiled()
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
              if lib["user_api"] == "blas"]
    with kernels.single_threaded_blas():
        with kernels.single_threaded_blas():  # nested, as the parts' loops are
            pass
        inside = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                  if lib["user_api"] == "blas"]
    after = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
             if lib["user_api"] == "blas"]
    assert inside == [1] * len(before)
    assert after == before


@pytest.mark.parametrize("cell", CELLS)
def test_parts_give_the_same_bits_in_a_parallel_region_and_on_the_thread_pool(cell,
                                                                              monkeypatch):
    """Where numba has no OpenMP or TBB layer (or in a forked child), the parts run on a
    Python thread pool instead: the same part functions, the same results."""
    needs_compiled()
    rng = np.random.default_rng(37)
    x, d_out = rng.standard_normal((12, 5, 2)), rng.standard_normal((12, 5, 4))
    results = []
    for regions in (True, False):
        monkeypatch.setattr(kernels, "parallel_regions", lambda answer=regions: answer)
        layer = CELLS[cell](2, 4, 2, dtype="float64", seed=38, threads=2)
        layer.min_part_work, layer.min_part_rows = 1, 2
        results.append(run_forward_backward(layer, x, d_out))
        assert len(layer._cache[2]) == 2
    for ours, pooled in zip(*results, strict=True):
        for a, b in zip(*(o if isinstance(o, tuple) else (o,) for o in (ours, pooled))):
            np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_trains_after_its_parent_used_parallel_regions():
    """GNU OpenMP ends a forked child that starts its threads again; the child's layers
    use the thread pool instead, and give the parent's result."""
    needs_compiled()
    rng = np.random.default_rng(39)
    x, d_out = rng.standard_normal((12, 5, 2)), rng.standard_normal((12, 5, 4))

    def gradients():
        layer = GRU(2, 4, dtype="float64", seed=40, threads=2)
        layer.min_part_work, layer.min_part_rows = 1, 2
        return run_forward_backward(layer, x, d_out)[4]

    expected = gradients()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its gradients through the pipe, then leave
        try:
            os.write(writer, gradients().tobytes())
        finally:
            os._exit(0)
    os.close(writer)
    received = b""
    while chunk := os.read(reader, 1 << 16):
        received += chunk
    os.close(reader)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    np.testing.assert_array_equal(np.frombuffer(received, dtype=np.float64), expected)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_uses_the_pool_when_its_parent_started_numbas_layer_elsewhere(
        monkeypatch):
    """numba code outside ``parallel_regions`` (a user's own) started GNU OpenMP in the
    parent; a child entering a region would be ended by SIGTERM, and a worker pool
    waiting on it would wait for ever."""
    needs_compiled()
    kernels._first_region(np.zeros(2))  # numba's layer started, as by code of one's own
    monkeypatch.setattr(kernels, "_threading_layer", None)  # not through parallel_regions
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(3 if kernels.parallel_regions() else 0)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # -15: ended by SIGTERM in the region


# One training step of each cell, in a process of its own: a digest of the loss and every
# gradient. ``threads=1`` keeps the batch in one part.
_DIGEST_OF_A_STEP = """
import hashlib
import numpy as np
from rnncast.nn import GRU, LSTM, RNN, Linear, RecurrentRegressor
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 12, 1)).astype(np.float32)
y = rng.standard_normal((64, 1)).astype(np.float32)
digest = hashlib.sha1()
for cell in (RNN, GRU, LSTM):
    network = RecurrentRegressor(cell(1, 16, seed=0, threads=1), Linear(16, 1, seed=1))
    digest.update(np.float64(network.loss_and_gradients(x, y, "mse")).tobytes())
    for layer in network.layers:
        for grad in layer.grads.values():
            digest.update(grad.tobytes())
print(digest.hexdigest())
"""


def test_kernels_compiled_afresh_and_loaded_from_numbas_cache_give_the_same_bits(tmp_path):
    """The first run after an install compiles the kernels and later runs load them from
    numba's cache; with fastmath's "reassoc" the two rounded an LSTM's gradients apart."""
    needs_compiled()
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    digests = []
    for _ in range(2):
        run = subprocess.run([sys.executable, "-c", _DIGEST_OF_A_STEP], env=environment,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        digests.append(run.stdout.strip())
    assert any(tmp_path.rglob("*.nbc")), "the first run wrote no cache for the second to load"
    assert digests[0] == digests[1]


@pytest.mark.parametrize("cell", CELLS)
def test_input_weights_reach_the_kernels_c_ordered_as_the_training_steps_copy(cell):
    """numba compiles a kernel once per array layout: a Fortran-ordered W_ih^T here
    compiled every forward kernel a second time in a run that trains and forecasts."""
    layer = CELLS[cell](3, 4, 2, seed=36)
    scale = layer._gate_scale()
    for index in range(2):
        weight, _ = layer._projection_weights(index)
        assert weight.flags.c_contiguous and weight.dtype == layer.dtype
        expected = layer.params[f"weight_ih_l{index}"].T
        np.testing.assert_array_equal(weight, expected if scale is None else expected * scale)


def test_compiled_layers_keep_blas_on_one_thread_even_for_one_part(monkeypatch):
    """Woken BLAS threads spin on after their product and took a core from the loops."""
    needs_compiled()
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from rnncast.nn import recurrent

    seen = []
    original = recurrent._run_parts

    def recording(functions, calls):
        seen.append([lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                     if lib["user_api"] == "blas"])
        return original(functions, calls)

    monkeypatch.setattr(recurrent, "_run_parts", recording)
    layer = LSTM(1, 8, threads=1, seed=52)
    run_forward_backward(layer, np.ones((4, 3, 1)), np.ones((4, 3, 8)))
    assert len(layer._cache[2]) == 1
    assert len(seen) == 2 and seen == [[1] * len(seen[0])] * 2  # forward and backward


def test_row_blocks_stay_within_the_small_product_limit(monkeypatch):
    needs_compiled()
    monkeypatch.setattr(kernels, "_small_product_limit", lambda: 1e6)
    assert kernels.product_rows(32, 512, 128) == 8  # 15 fit, rounded down to 8
    assert kernels.product_rows(256, 128, 128) == 56
    assert kernels.product_rows(20, 64, 16) == 20  # all rows fit
    assert kernels.product_rows(4, 4096, 4096) == 1
    monkeypatch.setattr(kernels, "_small_product_limit", lambda: None)
    assert kernels.product_rows(32, 512, 128) == 32


@pytest.mark.parametrize("cell", CELLS)
def test_compiled_loops_give_the_same_result_in_row_blocks(cell, monkeypatch):
    needs_compiled()
    rng = np.random.default_rng(32)
    x, d_out = rng.standard_normal((11, 4, 3)), rng.standard_normal((11, 4, 6))
    results = []
    for block_rows in (None, 3):  # None: the machine's choice
        if block_rows is not None:
            monkeypatch.setattr(kernels, "product_rows", lambda rows, *_, n=block_rows: n)
        layer = CELLS[cell](3, 6, dtype="float64", seed=33, threads=1)
        results.append(run_forward_backward(layer, x, d_out))
    for ours, reference in zip(results[1][::2], results[0][::2]):  # outputs, d_x, grads
        assert relative(ours, reference) < 1e-12


def test_workspace_reuses_its_arrays_but_never_the_callers():
    from rnncast.nn.recurrent import Workspace

    workspace = Workspace()
    first = workspace.empty("gates", (4, 3, 8), np.float32)
    again = workspace.empty("gates", (2, 3, 8), np.float32)  # smaller: the same memory
    assert np.shares_memory(first, again) and again.shape == (2, 3, 8)
    assert not np.shares_memory(first, workspace.empty("cells", (4, 3, 8), np.float32))
    workspace.limit = 100
    big = workspace.empty("gates", (10, 10), np.float32)  # over the limit: fresh, not kept
    assert not np.shares_memory(big, workspace.empty("gates", (10, 10), np.float32))


@pytest.mark.parametrize("cell", CELLS)
def test_outputs_of_one_forward_survive_the_next(cell, backend):
    layer = CELLS[cell](1, 4, 2, seed=40, backend=backend)
    rng = np.random.default_rng(41)
    x1, x2 = rng.standard_normal((3, 5, 1)), rng.standard_normal((3, 5, 1))
    outputs, final = layer.forward(x1)
    kept = outputs.copy(), [f.copy() for f in (final if isinstance(final, tuple) else (final,))]
    layer.forward(x2)
    np.testing.assert_array_equal(outputs, kept[0])
    for f, k in zip(final if isinstance(final, tuple) else (final,), kept[1]):
        np.testing.assert_array_equal(f, k)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_runs_parts_of_a_batch_on_its_own_threads():
    needs_compiled()
    layer = LSTM(1, 8, threads=2, seed=50)
    layer.min_part_work, layer.min_part_rows = 1, 2
    x = np.random.default_rng(51).standard_normal((6, 4, 1))
    expected, _ = layer.forward(x)  # the parent's pool now has its threads
    expected = expected.copy()
    pid = os.fork()
    if pid == 0:  # child: a pool without threads would wait forever; exit 0 if right
        try:
            outputs, _ = layer.forward(x)
            os._exit(0 if np.array_equal(outputs, expected) else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 60
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child's forward did not finish in 60 s")
    assert os.waitstatus_to_exitcode(done[1]) == 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parameters_gradients_and_loop_buffers_start_on_a_cache_line(dtype):
    """BLAS reads W_hh (backward) and W_hh^T (forward) every step; from a cache-line
    start the compiled loops ran 10% to 15% faster at hidden 128."""
    from rnncast.nn.module import CACHE_LINE, aligned_zeros

    for size in (1, 5, 4096):
        zeros = aligned_zeros(size, dtype)
        assert zeros.shape == (size,) and zeros.dtype == dtype and not zeros.any()
        assert zeros.ctypes.data % CACHE_LINE == 0
    layer = LSTM(1, 16, dtype=dtype, seed=53)
    assert layer.flat_params.ctypes.data % CACHE_LINE == 0
    assert layer.flat_grads.ctypes.data % CACHE_LINE == 0
    assert layer.num_parameters == sum(p.size for p in layer.params.values())
    buffer = layer._workspace(0, 0).empty("gates", (3, 4, 64), np.dtype(dtype))
    assert buffer.ctypes.data % CACHE_LINE == 0


@pytest.mark.parametrize("cell", CELLS)
def test_a_deep_copy_keeps_its_views_on_its_own_buffers(cell):
    """params and grads stay views of the copy's flat buffers, so an optimizer's update
    of flat_params reaches the copy's forward (and not the original's)."""
    import copy

    from rnncast.nn import SGD

    layer = CELLS[cell](2, 4, 2, seed=40, threads=2)
    layer.min_part_work, layer.min_part_rows = 1, 2  # parts, with their own buffers
    x = np.random.default_rng(41).standard_normal((8, 3, 2)).astype(np.float32)
    d_out = np.ones((8, 3, 4), np.float32)
    layer.forward(x)
    layer.backward(d_out)
    twin = copy.deepcopy(layer)
    for name in layer.params:
        assert np.shares_memory(twin.params[name], twin.flat_params)
        assert np.shares_memory(twin.grads[name], twin.flat_grads)
    np.testing.assert_array_equal(twin.flat_grads, layer.flat_grads)
    before = layer.forward(x)[0].copy()
    twin.zero_grad()
    twin.forward(x)
    twin.backward(d_out)
    np.testing.assert_allclose(twin.flat_grads, layer.flat_grads, rtol=1e-5, atol=1e-7)
    SGD([twin], lr=0.5).step()
    assert not np.allclose(twin.forward(x)[0], before)
    np.testing.assert_array_equal(layer.forward(x)[0], before)
