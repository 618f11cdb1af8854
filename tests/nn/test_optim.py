import warnings

import numpy as np
import pytest

from rnncast.nn import optim
from rnncast.nn.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ReduceLROnPlateau,
    clip_grad_norm,
)

SIZES = (6, 3)  # two modules, so updates and norms cross module boundaries
STEPS = 5


class FakeModule:
    """Just the flat buffers an optimizer reads."""

    def __init__(self, flat_params):
        self.flat_params = np.array(flat_params, dtype=np.float64)
        self.flat_grads = np.zeros_like(self.flat_params)


def _twins(torch, seed=0):
    """Modules and torch parameters holding the same values."""
    rng = np.random.default_rng(seed)
    modules = [FakeModule(rng.normal(size=size)) for size in SIZES]
    tensors = [torch.tensor(m.flat_params.copy(), requires_grad=True) for m in modules]
    return modules, tensors


def _set_gradients(torch, modules, tensors, rng, scale=1.0):
    for module, tensor in zip(modules, tensors, strict=True):
        g = scale * rng.normal(size=module.flat_grads.shape)
        module.flat_grads[...] = g
        tensor.grad = torch.tensor(g)


def _assert_same(modules, tensors):
    for module, tensor in zip(modules, tensors, strict=True):
        np.testing.assert_allclose(
            module.flat_params, tensor.detach().numpy(), rtol=1e-12, atol=1e-15
        )


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.0, 0.999)}),  # lerp's other form: m = g exactly
    ("Adam", {"lr": 0.05, "betas": (0.4, 0.9)}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "betas": (0.0, 0.99), "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS)
def test_steps_match_torch(torch, name, kwargs):
    modules, tensors = _twins(torch)
    optimizer = getattr(optim, name)(modules, **kwargs)
    reference = getattr(torch.optim, name)(tensors, **kwargs)
    rng = np.random.default_rng(1)
    for _ in range(STEPS):
        _set_gradients(torch, modules, tensors, rng)
        optimizer.step()
        reference.step()
        _assert_same(modules, tensors)


@pytest.mark.parametrize(("name", "kwargs"), [OPTIMIZERS[1], OPTIMIZERS[6], OPTIMIZERS[12]])
def test_changed_lr_takes_effect_at_next_step_like_torch(torch, name, kwargs):
    modules, tensors = _twins(torch)
    optimizer = getattr(optim, name)(modules, **kwargs)
    reference = getattr(torch.optim, name)(tensors, **kwargs)
    rng = np.random.default_rng(1)
    for step in range(STEPS):
        if step == 2:
            optimizer.lr = 0.3 * optimizer.lr
            reference.param_groups[0]["lr"] = optimizer.lr
        _set_gradients(torch, modules, tensors, rng)
        optimizer.step()
        reference.step()
    _assert_same(modules, tensors)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_step_updates_module_views(name):
    module = FakeModule([1.0, 2.0, 3.0])
    view = module.flat_params[1:]
    module.flat_grads[...] = 1.0
    getattr(optim, name)([module], lr=0.5).step()
    assert np.all(view < [2.0, 3.0])
    assert np.shares_memory(view, module.flat_params)


def test_zero_grad_zeroes_every_module_in_place():
    modules = [FakeModule(np.ones(size)) for size in SIZES]
    grads = [module.flat_grads for module in modules]
    for g in grads:
        g[...] = 3.0
    SGD(modules, lr=0.1).zero_grad()
    assert all(
        module.flat_grads is g and not g.any() for module, g in zip(modules, grads, strict=True)
    )


@pytest.mark.parametrize("max_norm", [0.5, 100.0], ids=["clips", "does-not-clip"])
def test_clip_grad_norm_matches_torch(torch, max_norm):
    modules, tensors = _twins(torch)
    _set_gradients(torch, modules, tensors, np.random.default_rng(2))
    total_norm = clip_grad_norm(modules, max_norm)
    expected_norm = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert type(total_norm) is float
    assert total_norm == pytest.approx(expected_norm.item(), rel=1e-12)
    for module, tensor in zip(modules, tensors, strict=True):
        np.testing.assert_allclose(module.flat_grads, tensor.grad.numpy(), rtol=1e-12)


def test_adam_step_after_clipping_matches_torch(torch):
    modules, tensors = _twins(torch)
    optimizer, reference = Adam(modules, lr=0.01), torch.optim.Adam(tensors, lr=0.01)
    _set_gradients(torch, modules, tensors, np.random.default_rng(3), scale=10.0)
    clip_grad_norm(modules, 1.0)
    torch.nn.utils.clip_grad_norm_(tensors, 1.0)
    optimizer.step()
    reference.step()
    _assert_same(modules, tensors)


def _torch_optimizer(torch, lr):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


# noisy then flat, then improving, then flat again: reductions, cooldowns and resets
METRICS = [5.0, 4.0, 4.0, 4.1, 3.9996, 4.0, 4.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.5, 1.0] + [
    1.0
] * 10


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 2},
        {"patience": 1, "threshold": 0.1, "threshold_mode": "abs", "cooldown": 2},
        {"mode": "max", "patience": 1, "factor": 0.5},
        {"mode": "max", "patience": 0, "threshold_mode": "abs", "min_lr": 0.02},
        {"patience": 0, "factor": 0.5, "min_lr": 0.1 - 1e-9},
    ],
)
def test_reduce_lr_on_plateau_matches_torch(torch, kwargs):
    optimizer = SGD([FakeModule(np.zeros(1))], lr=0.2)
    schedule = ReduceLROnPlateau(optimizer, **kwargs)
    reference_optimizer = _torch_optimizer(torch, 0.2)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(reference_optimizer, **kwargs)
    lrs, expected = [], []
    for metric in METRICS:
        schedule.step(metric)
        reference.step(metric)
        lrs.append(optimizer.lr)
        expected.append(reference_optimizer.param_groups[0]["lr"])
    assert lrs == expected
    assert len(set(lrs)) > 1


@pytest.mark.parametrize(("T_max", "eta_min"), [(5, 0.0), (4, 0.01), (1, 0.0)])
def test_cosine_annealing_matches_torch(torch, T_max, eta_min):
    optimizer = SGD([FakeModule(np.zeros(1))], lr=0.2)
    schedule = CosineAnnealingLR(optimizer, T_max=T_max, eta_min=eta_min)
    reference_optimizer = _torch_optimizer(torch, 0.2)
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(
        reference_optimizer, T_max=T_max, eta_min=eta_min
    )
    lrs, expected = [], []
    for _ in range(3 * T_max + 2):  # past T_max, where the cosine turns back up
        reference_optimizer.step()  # torch warns when the schedule steps first
        schedule.step()
        reference.step()
        lrs.append(optimizer.lr)
        expected.append(reference_optimizer.param_groups[0]["lr"])
    assert lrs == expected


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
def test_negative_lr_raises(cls):
    with pytest.raises(ValueError, match=r"lr must be >= 0.0, got -0.1"):
        cls([FakeModule(np.zeros(2))], lr=-0.1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SGD, {"lr": 0.1, "momentum": -0.5}, "momentum must be >= 0.0"),
        (SGD, {"lr": 0.1, "nesterov": True}, "nesterov momentum needs momentum > 0"),
        (Adam, {"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\)"),
        (AdamW, {"eps": -1e-8}, "eps must be >= 0.0"),
        (AdamW, {"weight_decay": -0.01}, "weight_decay must be >= 0.0"),
    ],
)
def test_bad_hyperparameter_raises(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([FakeModule(np.zeros(2))], **kwargs)


def test_module_without_flat_buffers_raises():
    with pytest.raises(TypeError, match="needs modules with flat_params and flat_grads"):
        SGD([object()], lr=0.1)


def test_empty_module_list_raises():
    with pytest.raises(ValueError, match="got no modules"):
        Adam([])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "lowest"}, "mode must be 'min' or 'max'"),
        ({"threshold_mode": "relative"}, "threshold_mode must be 'rel' or 'abs'"),
        ({"factor": 1.0}, r"factor must be in \[0, 1\)"),
    ],
)
def test_reduce_lr_on_plateau_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReduceLROnPlateau(SGD([FakeModule(np.zeros(1))], lr=0.1), **kwargs)


def test_cosine_annealing_zero_t_max_raises():
    with pytest.raises(ValueError, match="T_max must be >= 1"):
        CosineAnnealingLR(SGD([FakeModule(np.zeros(1))], lr=0.1), T_max=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kwargs"), [
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.0, 0.999)}),
])
def test_compiled_adam_equals_the_numpy_update_bit_for_bit(name, kwargs, dtype):
    from rnncast.nn import kernels

    if not kernels.AVAILABLE:
        pytest.skip("numba is not installed: pip install -e '.[fast]'")
    rng = np.random.default_rng(4)
    sizes = (1000, 7, kernels.PARALLEL_ADAM_SIZE + 5)  # the last in shares, on threads
    start = [rng.normal(size=size).astype(dtype) for size in sizes]
    gradients = [[rng.normal(size=size).astype(dtype) for size in sizes]
                 for _ in range(STEPS)]
    runs = {}
    for backend, threads in (("numpy", None), ("numba", 1), ("numba", 3)):
        modules = [FakeModule(p) for p in start]
        for module in modules:
            module.flat_params = module.flat_params.astype(dtype)
            module.flat_grads = np.zeros_like(module.flat_params)
        optimizer = getattr(optim, name)(modules, backend=backend, threads=threads, **kwargs)
        assert optimizer.compiled == (backend == "numba")
        for step in range(STEPS):
            for module, g in zip(modules, gradients[step], strict=True):
                module.flat_grads[...] = g
            optimizer.step()
        runs[backend, threads] = [m.flat_params for m in modules] + optimizer._m + optimizer._v
    for run in (("numba", 1), ("numba", 3)):
        for compiled, reference in zip(runs[run], runs["numpy", None], strict=True):
            assert compiled.dtype == dtype
            np.testing.assert_array_equal(compiled, reference)


@pytest.mark.parametrize("threads", [0, 1.5, True])
def test_adam_threads_must_be_a_positive_integer(threads):
    with pytest.raises(ValueError, match="threads must be a positive integer or None"):
        Adam([FakeModule([1.0])], threads=threads)


def test_unknown_optimizer_backend_is_named():
    with pytest.raises(ValueError, match="backend must be 'auto', 'numpy' or 'numba', got 'gpu'"):
        Adam([FakeModule([1.0])], backend="gpu")


def test_a_single_module_instead_of_a_list_is_named():
    with pytest.raises(TypeError, match=r"Adam takes a list of modules, got one FakeModule: "
                                        r"pass \[layer\]"):
        Adam(FakeModule([1.0]))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_adam_with_beta1_zero_keeps_the_gradient_as_its_first_moment(backend):
    """m + 1 * (g - m) rounds away a small g after a large one; torch's lerp does not."""
    from rnncast.nn import kernels

    if backend == "numba" and not kernels.AVAILABLE:
        pytest.skip("numba is not installed: pip install -e '.[fast]'")
    module = FakeModule([0.5])
    optimizer = Adam([module], lr=0.1, betas=(0.0, 0.999), backend=backend)
    for gradient in (1.0, 1e-9):
        module.flat_grads[...] = gradient
        optimizer.step()
    assert optimizer._m[0][0] == 1e-9


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("Adam", {"lr": 0.05, "backend": "numpy"}),
    ("Adam", {"lr": 0.05, "backend": "auto"}),
    ("AdamW", {"lr": 0.05, "backend": "numpy"}),
])
def test_weight_decay_set_after_construction_works_like_torch(torch, name, kwargs):
    modules, tensors = _twins(torch)
    optimizer = getattr(optim, name)(modules, **kwargs, weight_decay=0.0)
    torch_kwargs = {k: v for k, v in kwargs.items() if k != "backend"}
    reference = getattr(torch.optim, name)(tensors, **torch_kwargs, weight_decay=0.0)
    rng = np.random.default_rng(5)
    for step in range(STEPS):
        if step == 2:  # as a user would, or through torch's param_groups
            optimizer.weight_decay = 0.1
            reference.param_groups[0]["weight_decay"] = 0.1
        _set_gradients(torch, modules, tensors, rng)
        optimizer.step()
        reference.step()
        _assert_same(modules, tensors)


def test_sgd_learning_rate_defaults_as_torchs():
    assert SGD([FakeModule([1.0])]).lr == 1e-3


def test_clip_grad_norm_takes_one_module_and_passes_inf_on_quietly():
    module = FakeModule([3.0, 4.0])
    module.flat_grads[...] = [3.0, 4.0]
    assert clip_grad_norm(module, 1.0) == 5.0
    np.testing.assert_allclose(module.flat_grads, [0.6, 0.8], rtol=1e-6)
    module.flat_grads[...] = [np.inf, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clip_grad_norm([module], 1.0) == np.inf
    assert np.isnan(module.flat_grads[0])
