import numpy as np
import pytest

from rnncast.errors import ShapeError
from rnncast.nn import Linear, check_gradients


def test_gradients_match_finite_differences():
    layer = Linear(4, 3, dtype="float64", seed=0)
    errors = check_gradients(layer, np.random.default_rng(1).standard_normal((2, 5, 4)))
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < 1e-6, errors


def test_output_and_gradients_equal_pytorch(torch):
    rng = np.random.default_rng(2)
    reference = torch.nn.Linear(4, 3).double()
    layer = Linear(4, 3, dtype="float64")
    layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x, d_out = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    x_t = torch.tensor(x, requires_grad=True)
    (reference(x_t) * torch.tensor(d_out)).sum().backward()
    np.testing.assert_allclose(layer.forward(x), reference(x_t).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.backward(d_out), x_t.grad.numpy(), rtol=1e-12)
    for name, param in reference.named_parameters():
        np.testing.assert_allclose(layer.grads[name], param.grad.numpy(), rtol=1e-12)


def test_wrong_feature_count_is_reported():
    with pytest.raises(ShapeError, match=r"\(\.\.\., 4\)"):
        Linear(4, 1).forward(np.zeros((2, 3)))


def test_load_state_dict_names_linears_own_sizes():
    layer = Linear(4, 3)
    with pytest.raises(ShapeError, match=r"'weight' has shape \(3, 5\), expected \(3, 4\)\. "
                                         r"Nothing was loaded\. Check in_features and "
                                         r"out_features"):
        layer.load_state_dict(Linear(5, 3).state_dict())


def test_gradient_check_refuses_a_state_for_linear():
    with pytest.raises(ValueError, match="Linear takes none"):
        check_gradients(Linear(2, 1), np.ones((3, 2)), state=np.zeros((1, 3, 2)))
