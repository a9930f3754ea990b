"""``dlcore.activations``: names, values, gradients, the kinks, serialisation."""

import numpy as np
import pytest

import dlcore as dl
from dlcore import activations
from dlcore.functional import activations as functional

NAMES = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign",
         "hard_sigmoid", "exponential"]
BUILT_HERE = ["elu", "selu", "softplus", "softsign", "hard_sigmoid", "exponential"]

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def numpy_reference(name, x):
    elu = np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    return {
        "linear": x,
        "elu": elu,
        "selu": SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
        "softplus": np.logaddexp(0, x),
        "softsign": x / (1 + np.abs(x)),
        "hard_sigmoid": np.clip(0.2 * x + 0.5, 0, 1),
        "exponential": np.exp(x),
    }[name]


def away_from_kinks(shape, seed=0):
    """Values in +-(0.1, 2.4): clear of 0 (elu, selu) and of +-2.5 (hard_sigmoid)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 2.4, shape) * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("name", NAMES)
def test_get_resolves_every_name_and_serialize_gives_it_back(name):
    function = activations.get(name)
    assert activations.get(name.upper()) is function
    assert activations.serialize(function) == name


def test_get_none_callables_and_the_functional_ops():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is functional.relu
    assert activations.get("softmax") is functional.softmax

    def double(x):
        return x * 2

    assert activations.get(double) is double


def test_unknown_names_list_the_valid_ones_and_the_closest():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmiod'; valid names: "
                                         r"elu, exponential, .*Did you mean 'sigmoid'\?"):
        activations.get("sigmiod")
    with pytest.raises(ValueError, match=r"unknown activation 'leaky'; valid names: .*tanh\.$"):
        activations.get("leaky")
    with pytest.raises(TypeError, match="a name such as 'relu', a callable or None, got int"):
        activations.get(3)


def test_a_foreign_callable_cannot_be_serialized():
    with pytest.raises(ValueError, match=r"'<lambda>' is not one of dlcore's named activations"):
        activations.serialize(lambda x: x)


@pytest.mark.parametrize("name", BUILT_HERE + ["linear"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_match_numpy(name, dtype):
    x = np.concatenate([away_from_kinks(20), [0.0, -30.0, 30.0, 2.5, -2.5]]).astype(dtype)
    y = activations.get(name)(dl.tensor(x))
    assert y.dtype == np.dtype(dtype)
    tolerance = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(y.data, numpy_reference(name, x.astype(np.float64)),
                               rtol=tolerance * 10, atol=tolerance)


@pytest.mark.parametrize("name", BUILT_HERE)
def test_gradients_match_finite_differences(name):
    assert dl.gradcheck(activations.get(name), away_from_kinks((3, 4)))


@pytest.mark.parametrize(("name", "slope"), [
    ("elu", 1.0), ("softplus", 0.5), ("softsign", 1.0),
    ("selu", SELU_SCALE * (1 + SELU_ALPHA) / 2), ("hard_sigmoid", 0.2), ("exponential", 1.0),
])
def test_derivative_at_zero(name, slope):
    x = dl.tensor(np.zeros(3), requires_grad=True)
    activations.get(name)(x).sum().backward()
    np.testing.assert_allclose(x.grad, slope, rtol=1e-12)


def test_softplus_is_finite_for_large_inputs():
    x = dl.tensor(np.array([-1e4, -100.0, 100.0, 1e4], dtype=np.float32), requires_grad=True)
    y = activations.softplus(x)
    y.sum().backward()
    np.testing.assert_allclose(y.data, [0, 0, 100, 1e4], atol=1e-30)
    np.testing.assert_allclose(x.grad, [0, 0, 1, 1], atol=1e-30)
    assert x.grad.dtype == np.float32


def test_float32_gradients_stay_float32():
    for name in BUILT_HERE:
        x = dl.tensor(away_from_kinks(5).astype(np.float32), requires_grad=True)
        activations.get(name)(x).sum().backward()
        assert x.grad.dtype == np.float32, name


@pytest.mark.parametrize(("name", "torch_name"), [
    ("elu", "elu"), ("selu", "selu"), ("softplus", "softplus"), ("softsign", "softsign"),
])
def test_values_and_gradients_match_pytorch(torch, name, torch_name):
    x = away_from_kinks((4, 5), seed=3)
    upstream = np.random.default_rng(4).standard_normal(x.shape)
    ours = dl.tensor(x, requires_grad=True)
    y = activations.get(name)(ours)
    y.backward(upstream)
    theirs = torch.tensor(x, requires_grad=True)
    z = getattr(torch.nn.functional, torch_name)(theirs)
    z.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.data, z.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
