import numpy as np
import pytest

from rnncast.errors import ShapeError
from rnncast.nn import losses
from rnncast.nn.losses import LOSSES, get_loss

QUANTILES = (0.1, 0.5, 0.9)

# each loss with its extra arguments and the shapes of (prediction, target)
CASES = {
    "mse": ({}, (4, 3, 2), (4, 3, 2)),
    "mae": ({}, (4, 3, 2), (4, 3, 2)),
    "huber": ({"delta": 0.7}, (4, 3, 2), (4, 3, 2)),
    "pinball": ({"quantiles": QUANTILES}, (4, 3, 3), (4, 3)),
}


def _inputs(name, dtype=np.float64, seed=0):
    _, prediction_shape, target_shape = CASES[name]
    rng = np.random.default_rng(seed)
    return rng.normal(size=prediction_shape).astype(dtype), rng.normal(size=target_shape)


def _torch_loss(torch, name, prediction, target, weight=None):
    """The same loss written in PyTorch: its built-in, or for pinball a direct expression;
    with ``weight``, ``(weight * loss(reduction="none")).mean()``."""
    functional = torch.nn.functional
    if name == "mse":
        elementwise = functional.mse_loss(prediction, target, reduction="none")
    elif name == "mae":
        elementwise = functional.l1_loss(prediction, target, reduction="none")
    elif name == "huber":
        elementwise = functional.huber_loss(prediction, target, reduction="none",
                                            delta=CASES["huber"][0]["delta"])
    else:
        q = torch.tensor(QUANTILES, dtype=prediction.dtype)
        e = target.unsqueeze(-1) - prediction
        elementwise = torch.maximum(q * e, (q - 1) * e)
        weight = None if weight is None else weight.unsqueeze(-1)
    return (elementwise if weight is None else weight * elementwise).mean()


def _torch_value_and_grad(torch, name, prediction, target, weight=None):
    p = torch.tensor(prediction, requires_grad=True)
    weight = None if weight is None else torch.tensor(weight)
    value = _torch_loss(torch, name, p, torch.tensor(target), weight)
    value.backward()
    return value.item(), p.grad.numpy()


def _row_weights(target_shape, seed=2):
    """One positive weight per row (first axis), shaped to broadcast against the target."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 3.0, size=(target_shape[0],) + (1,) * (len(target_shape) - 1))


def _central_differences(f, x, h=1e-6):
    """d f / d x by central differences, one element at a time."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        f_plus = f(x)
        x[index] = saved - h
        f_minus = f(x)
        x[index] = saved
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


@pytest.mark.parametrize("name", CASES)
def test_value_and_gradient_match_torch(torch, name):
    prediction, target = _inputs(name)
    value, grad = get_loss(name)(prediction, target, **CASES[name][0])
    expected_value, expected_grad = _torch_value_and_grad(torch, name, prediction, target)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", CASES)
def test_weighted_value_and_gradient_match_torch(torch, name):
    prediction, target = _inputs(name)
    weight = _row_weights(target.shape)
    value, grad = get_loss(name)(prediction, target, weight=weight, **CASES[name][0])
    expected_value, expected_grad = _torch_value_and_grad(torch, name, prediction, target,
                                                          np.broadcast_to(weight, target.shape))
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", CASES)
def test_weight_of_ones_changes_nothing_and_weight_scales_each_row(name):
    prediction, target = _inputs(name)
    loss, kwargs = get_loss(name), CASES[name][0]
    value, grad = loss(prediction, target, **kwargs)
    ones_value, ones_grad = loss(prediction, target, weight=np.ones(target.shape), **kwargs)
    assert ones_value == value
    np.testing.assert_array_equal(ones_grad, grad)
    # weight 2 on the first row, 0 elsewhere: twice the first row's share, nothing else
    weight = np.zeros((target.shape[0],) + (1,) * (target.ndim - 1))
    weight[0] = 2.0
    weighted_value, weighted_grad = loss(prediction, target, weight=weight, **kwargs)
    row_value, _ = loss(prediction[:1], target[:1], **kwargs)
    assert weighted_value == pytest.approx(2 * row_value / target.shape[0], rel=1e-12)
    np.testing.assert_allclose(weighted_grad[0], 2 * grad[0], rtol=1e-12)
    assert not weighted_grad[1:].any()


@pytest.mark.parametrize("name", CASES)
def test_weight_that_does_not_broadcast_raises_shape_error(name):
    prediction, target = _inputs(name)
    with pytest.raises(ShapeError, match="weight has shape"):
        get_loss(name)(prediction, target, weight=np.ones(target.shape[0] + 1),
                       **CASES[name][0])


@pytest.mark.parametrize("name", ["mae", "pinball"])
def test_subgradient_at_zero_residual_matches_torch(torch, name):
    prediction, target = _inputs(name)
    if name == "pinball":
        prediction[0, :, 1] = target[0]
        prediction[1, 2, :] = target[1, 2]
    else:
        prediction[0] = target[0]
    value, grad = get_loss(name)(prediction, target, **CASES[name][0])
    _, expected_grad = _torch_value_and_grad(torch, name, prediction, target)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(name):
    prediction, target = _inputs(name, seed=1)
    kwargs = CASES[name][0]
    loss = get_loss(name)
    for weight in (None, _row_weights(target.shape)):
        _, grad = loss(prediction, target, weight=weight, **kwargs)
        numeric = _central_differences(lambda p, w=weight: loss(p, target, weight=w, **kwargs)[0],
                                       prediction.copy())
        error = np.linalg.norm(grad - numeric) / np.linalg.norm(numeric)
        assert error < 1e-6


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_returns_float_value_and_gradient_shaped_like_prediction(name, dtype):
    prediction, target = _inputs(name, dtype=dtype)
    value, grad = get_loss(name)(prediction, target, **CASES[name][0])
    assert type(value) is float
    assert grad.shape == prediction.shape
    assert grad.dtype == dtype


def test_losses_table_names_every_loss():
    assert LOSSES == {
        "mse": losses.mse,
        "mae": losses.mae,
        "huber": losses.huber,
        "pinball": losses.pinball,
    }


def test_unknown_loss_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown loss 'rmse'; choose one of huber, mae, mse"):
        get_loss("rmse")


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_mismatched_shapes_raise_shape_error(name):
    with pytest.raises(ShapeError, match=r"prediction has shape \(4, 3\) but target has shape"):
        get_loss(name)(np.zeros((4, 3)), np.zeros((4, 1)))


@pytest.mark.parametrize(
    ("prediction_shape", "target_shape"),
    [((4, 2), (4,)), ((4, 3), (4, 3)), ((4, 3), (5,))],
)
def test_pinball_shape_not_target_plus_quantile_axis_raises(prediction_shape, target_shape):
    with pytest.raises(ShapeError, match="one forecast per quantile"):
        losses.pinball(np.zeros(prediction_shape), np.zeros(target_shape), QUANTILES)


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_pinball_quantile_outside_open_unit_interval_raises(bad):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        losses.pinball(np.zeros((4, 2)), np.zeros(4), (0.5, bad))


@pytest.mark.parametrize("delta", [0.0, -1.0])
def test_huber_non_positive_delta_raises(delta):
    with pytest.raises(ValueError, match="delta must be > 0"):
        losses.huber(np.zeros(3), np.zeros(3), delta=delta)


def test_empty_prediction_raises():
    with pytest.raises(ShapeError, match="prediction is empty"):
        losses.mse(np.zeros((0, 3)), np.zeros((0, 3)))
