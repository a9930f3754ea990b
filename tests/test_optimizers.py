"""Optimizers: kernels against their numpy references, update rules against the Keras 2
formulas, decay, clipping, arguments, config, state save/restore and error messages."""

import json
import math

import numpy as np
import pytest

import dlcore as dl
from dlcore import optimizers
from dlcore.kernels import optimizers as kernels
from dlcore.optimizers import SGD, Adagrad, Adam, Optimizer, RMSprop

TOLERANCE = {np.float64: dict(rtol=1e-12, atol=1e-14), np.float32: dict(rtol=1e-6, atol=1e-7)}

# kernel, reference, number of slot arrays, hyperparameters after the slots
KERNELS = {
    "sgd": (kernels.sgd_update, kernels.sgd_update_reference, 0, (0.1,)),
    "momentum": (kernels.sgd_momentum_update, kernels.sgd_momentum_update_reference, 1,
                 (0.1, 0.9, False)),
    "nesterov": (kernels.sgd_momentum_update, kernels.sgd_momentum_update_reference, 1,
                 (0.1, 0.9, True)),
    "rmsprop": (kernels.rmsprop_update, kernels.rmsprop_update_reference, 1, (0.01, 0.9, 1e-7)),
    "adagrad": (kernels.adagrad_update, kernels.adagrad_update_reference, 1, (0.05, 1e-7)),
    "adam": (kernels.adam_update, kernels.adam_update_reference, 2, (0.01, 0.9, 0.999, 1e-7)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("size", [1, 37, 1000])
@pytest.mark.parametrize("name", list(KERNELS))
def test_kernel_matches_reference(name, size, dtype):
    kernel, reference, slot_count, hyperparameters = KERNELS[name]
    rng = np.random.default_rng(size)
    w = rng.standard_normal(size).astype(dtype)
    slots = [rng.random(size).astype(dtype) for _ in range(slot_count)]
    w_ref, slots_ref = w.copy(), [slot.copy() for slot in slots]
    for _ in range(3):
        g = rng.standard_normal(size).astype(dtype)
        kernel(w, g, *slots, *hyperparameters)
        reference(w_ref, g, *slots_ref, *hyperparameters)
    assert w.dtype == dtype and all(slot.dtype == dtype for slot in slots)
    np.testing.assert_allclose(w, w_ref, **TOLERANCE[dtype])
    for slot, slot_ref in zip(slots, slots_ref, strict=True):
        np.testing.assert_allclose(slot, slot_ref, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("clipnorm", "clipvalue"),
                         [(math.inf, math.inf), (1.0, math.inf), (100.0, math.inf),
                          (math.inf, 0.5), (2.0, 0.3)])
def test_clip_kernel_matches_reference(clipnorm, clipvalue, dtype):
    g = np.random.default_rng(1).standard_normal(50).astype(dtype)
    out, out_ref = np.empty_like(g), np.empty_like(g)
    kernels.clip_gradient(g, clipnorm, clipvalue, out)
    kernels.clip_gradient_reference(g, clipnorm, clipvalue, out_ref)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, out_ref, **TOLERANCE[dtype])


# ----- update rules: the Keras 2 formulas, written out here in float64 ---------------------
def keras_trajectory(name, config, w, grads):
    """Weights after each step, following the formulas in the optimizers' docs."""
    lr, decay = config["learning_rate"], config.get("decay", 0.0)
    eps = config.get("epsilon", 1e-7)
    w = w.copy()
    a, m, v = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    trajectory = []
    for iterations, g in enumerate(grads):
        lr_now = lr / (1 + decay * iterations)
        if name == "sgd":
            mu = config.get("momentum", 0.0)
            v = mu * v - lr_now * g
            w = w + (mu * v - lr_now * g if config.get("nesterov") else v)
        elif name == "rmsprop":
            a = config["rho"] * a + (1 - config["rho"]) * g**2
            w = w - lr_now * g / (np.sqrt(a) + eps)
        elif name == "adagrad":
            a = a + g**2
            w = w - lr_now * g / (np.sqrt(a) + eps)
        else:
            t = iterations + 1
            b1, b2 = config["beta_1"], config["beta_2"]
            lr_t = lr_now * np.sqrt(1 - b2**t) / (1 - b1**t)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            w = w - lr_t * m / (np.sqrt(v) + eps)
        trajectory.append(w)
    return trajectory


FORMULA_CASES = [
    (SGD, "sgd", dict(learning_rate=0.1)),
    (SGD, "sgd", dict(learning_rate=0.1, decay=0.3)),
    (SGD, "sgd", dict(learning_rate=0.05, momentum=0.9)),
    (SGD, "sgd", dict(learning_rate=0.05, momentum=0.5, nesterov=True, decay=0.1)),
    (RMSprop, "rmsprop", dict(learning_rate=0.01, rho=0.9)),
    (RMSprop, "rmsprop", dict(learning_rate=0.01, rho=0.5, epsilon=1e-3, decay=0.2)),
    (Adagrad, "adagrad", dict(learning_rate=0.1)),
    (Adagrad, "adagrad", dict(learning_rate=0.1, epsilon=1e-2, decay=0.5)),
    (Adam, "adam", dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7)),
    (Adam, "adam", dict(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-3, decay=0.1)),
]


@pytest.mark.parametrize(("cls", "name", "config"), FORMULA_CASES,
                         ids=[f"{cls.__name__}{config}" for cls, _, config in FORMULA_CASES])
def test_update_follows_keras_formula(cls, name, config):
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((3, 4))
    # tiny gradients as well, where eps and its placement matter
    grads = [rng.standard_normal((3, 4)) * scale for scale in (1.0, 1e-4, 0.3, 1e-6, 2.0)]
    param = dl.tensor(w0, requires_grad=True)
    optimizer = cls(**config)
    expected = keras_trajectory(name, {**optimizer.get_config(), **config}, w0, grads)
    for g, want in zip(grads, expected, strict=True):
        optimizer.apply_gradients([(g, param)])
        np.testing.assert_allclose(param.data, want, rtol=1e-12, atol=1e-14)


def test_decay_divides_the_learning_rate_by_one_plus_decay_times_iterations():
    param = dl.tensor(np.zeros(2), requires_grad=True)
    optimizer = SGD(learning_rate=0.1, decay=0.5)
    for _ in range(3):
        optimizer.apply_gradients([(np.ones(2), param)])
    np.testing.assert_allclose(param.data, -0.1 * (1 + 1 / 1.5 + 1 / 2.0) * np.ones(2))


# ----- clipping ----------------------------------------------------------------------------
def test_clipnorm_rescales_each_gradient_on_its_own():
    big, small = dl.tensor(np.zeros(2), requires_grad=True), dl.tensor(np.zeros(2),
                                                                      requires_grad=True)
    g_big, g_small = np.array([3.0, 4.0]), np.array([0.3, 0.4])
    SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients([(g_big, big), (g_small, small)])
    np.testing.assert_allclose(big.data, [-0.6, -0.8])
    np.testing.assert_allclose(small.data, [-0.3, -0.4])
    np.testing.assert_array_equal(g_big, [3.0, 4.0])  # the caller's gradient is not changed


def test_clipvalue_clips_each_element_after_clipnorm():
    param = dl.tensor(np.zeros(3), requires_grad=True)
    param.grad = np.array([-3.0, 0.2, 5.0])
    SGD(learning_rate=1.0, clipvalue=1.0).step([param])
    np.testing.assert_allclose(param.data, [1.0, -0.2, -1.0])
    param.data[...] = 0.0
    SGD(learning_rate=1.0, clipnorm=5.0, clipvalue=2.5).step([param])  # norm 5.84 -> 5
    scaled = np.array([-3.0, 0.2, 5.0]) * 5.0 / np.linalg.norm([-3.0, 0.2, 5.0])
    np.testing.assert_allclose(param.data, -np.clip(scaled, -2.5, 2.5))


# ----- the update call -----------------------------------------------------------------------
def test_updates_data_in_place_so_views_stay_valid():
    param = dl.tensor(np.ones((2, 3)), requires_grad=True)
    data, row = param.data, param.data[0]
    Adam(learning_rate=0.1).apply_gradients(zip([np.ones((2, 3))], [param], strict=True))
    assert param.data is data
    np.testing.assert_allclose(row, param.data[0])
    assert np.all(row < 1.0)


def test_non_contiguous_parameter_is_updated_in_place():
    base = np.zeros((3, 4))
    param = dl.tensor(np.zeros((3, 2)), requires_grad=True)
    param.data = base[:, ::2]
    SGD(learning_rate=1.0, momentum=0.5).apply_gradients([(np.ones((3, 2)), param)])
    np.testing.assert_array_equal(base[:, ::2], -1.0)
    np.testing.assert_array_equal(base[:, 1::2], 0.0)


def test_step_reads_grad_and_skips_parameters_without_one():
    with_grad = dl.tensor(np.ones(3), requires_grad=True)
    without = dl.tensor(np.ones(3), requires_grad=True)
    with_grad.grad = np.full(3, 2.0)
    optimizer = SGD(learning_rate=0.5)
    optimizer.step([with_grad, without])
    np.testing.assert_allclose(with_grad.data, 0.0)
    np.testing.assert_array_equal(without.data, 1.0)
    assert with_grad.grad is not None  # step does not clear gradients


def test_iterations_count_update_calls_not_parameters():
    params = [dl.tensor(np.ones(3), requires_grad=True) for _ in range(4)]
    optimizer = Adam()
    for _ in range(3):
        optimizer.apply_gradients((np.ones(3), param) for param in params)
    assert optimizer.iterations == 3


def test_float32_parameters_stay_float32_with_float64_or_tensor_gradients():
    param = dl.tensor(np.ones(5, dtype=np.float32), requires_grad=True)
    optimizer = Adam(learning_rate=0.1)
    optimizer.apply_gradients([(np.ones(5, dtype=np.float64), param)])
    optimizer.apply_gradients([(dl.tensor(np.ones(5)), param)])
    assert param.dtype == np.float32
    assert all(array.dtype == np.float32 for array in optimizer.get_state([param])[1:])
    expected = keras_trajectory("adam", optimizer.get_config(), np.ones(5), [np.ones(5)] * 2)
    np.testing.assert_allclose(param.data, expected[-1], rtol=1e-6)


def test_gradients_from_backward_train_a_quadratic():
    target = np.array([1.0, -2.0, 3.0])
    param = dl.tensor(np.zeros(3), requires_grad=True)
    optimizer = Adam(learning_rate=0.1)
    for _ in range(300):
        ((param - target) ** 2).sum().backward()
        optimizer.step([param])
        param.zero_grad()
    np.testing.assert_allclose(param.data, target, atol=1e-2)


# ----- arguments ---------------------------------------------------------------------------
def test_defaults_follow_keras():
    assert SGD().get_config() == dict(name="SGD", learning_rate=0.01, momentum=0.0,
                                      nesterov=False, decay=0.0)
    assert RMSprop().get_config() == dict(name="RMSprop", learning_rate=0.001, rho=0.9,
                                          epsilon=1e-7, decay=0.0)
    assert Adagrad().get_config() == dict(name="Adagrad", learning_rate=0.01, epsilon=1e-7,
                                          decay=0.0)
    assert Adam().get_config() == dict(name="Adam", learning_rate=0.001, beta_1=0.9,
                                       beta_2=0.999, epsilon=1e-7, decay=0.0)


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adagrad, Adam])
def test_lr_is_the_deprecated_name_of_learning_rate(cls):
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        optimizer = cls(lr=0.25)
    assert optimizer.learning_rate == 0.25 and optimizer.lr == 0.25
    with pytest.raises(TypeError, match="both learning_rate= and .* lr="):
        cls(learning_rate=0.1, lr=0.2)
    with pytest.raises(TypeError, match="both"):
        cls(learning_rate=cls().learning_rate, lr=0.2)


def test_learning_rate_and_lr_are_settable_and_used_by_the_next_step():
    param = dl.tensor(np.zeros(1), requires_grad=True)
    optimizer = SGD(learning_rate=0.1)
    optimizer.learning_rate = 0.5
    optimizer.apply_gradients([(np.ones(1), param)])
    optimizer.lr = 2.0
    assert optimizer.learning_rate == 2.0
    optimizer.apply_gradients([(np.ones(1), param)])
    np.testing.assert_allclose(param.data, [-2.5])
    with pytest.raises(ValueError, match=r"learning_rate must be in \[0, inf\], got -1.0"):
        optimizer.lr = -1.0


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adagrad, Adam])
def test_unknown_keyword_lists_the_accepted_ones(cls):
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) amsgrad; "
                                        r"accepted: learning_rate, .*decay, clipnorm, clipvalue"):
        cls(amsgrad=True)


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), [
    (SGD, dict(learning_rate=-0.1), ValueError, r"SGD: learning_rate must be in \[0, inf\]"),
    (SGD, dict(learning_rate="0.1"), TypeError, "learning_rate must be a number, got str"),
    (SGD, dict(learning_rate=math.nan), ValueError, "learning_rate must be in"),
    (SGD, dict(momentum=1.5), ValueError, r"momentum must be in \[0, 1\], got 1.5"),
    (SGD, dict(nesterov="yes"), TypeError, "nesterov must be True or False"),
    (SGD, dict(decay=-1), ValueError, "decay must be in"),
    (SGD, dict(clipnorm=0), ValueError, "clipnorm must be > 0, got 0; leave it as None"),
    (SGD, dict(clipvalue=-1), ValueError, "clipvalue must be in"),
    (RMSprop, dict(rho=1.2), ValueError, r"RMSprop: rho must be in \[0, 1\]"),
    (RMSprop, dict(epsilon=-1e-7), ValueError, "epsilon must be in"),
    (Adam, dict(beta_1=1.0), ValueError, r"Adam: beta_1 must be in \[0, 1\), got 1.0"),
    (Adam, dict(beta_2=True), TypeError, "beta_2 must be a number, got bool"),
])
def test_bad_hyperparameters_are_rejected(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_bad_parameters_and_gradients_are_rejected_before_any_update():
    good = dl.tensor(np.zeros(3), requires_grad=True)
    optimizer = SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match=r"gradient of shape \(4,\) for a parameter of shape "
                                         r"\(3,\); pass gradients in the same order"):
        optimizer.apply_gradients([(np.ones(3), good), (np.ones(4), good)])
    with pytest.raises(TypeError, match="parameters must be dlcore Tensors, got ndarray"):
        optimizer.apply_gradients([(np.ones(3), good), (np.ones(3), np.zeros(3))])
    with pytest.raises(TypeError, match="floating-point parameters, got dtype int64"):
        optimizer.apply_gradients([(np.ones(3), dl.tensor([1, 2, 3], dtype="int64"))])
    np.testing.assert_array_equal(good.data, 0.0)
    assert optimizer.iterations == 0


def test_parameter_replaced_by_another_shape_is_reported():
    param = dl.tensor(np.zeros(3), requires_grad=True)
    optimizer = Adam()
    optimizer.apply_gradients([(np.ones(3), param)])
    param.data = np.zeros(5)
    with pytest.raises(ValueError, match="changed from 3 elements of float64 to shape"):
        optimizer.apply_gradients([(np.ones(5), param)])


# ----- config and get ----------------------------------------------------------------------
CONFIG_CASES = [
    SGD(learning_rate=0.2, momentum=0.8, nesterov=True, decay=0.01, clipnorm=1.5),
    SGD(clipvalue=0.5),
    RMSprop(learning_rate=0.002, rho=0.8, epsilon=1e-6, clipnorm=2.0, clipvalue=1.0),
    Adagrad(learning_rate=0.3, epsilon=1e-5, decay=0.1),
    Adam(learning_rate=0.004, beta_1=0.8, beta_2=0.99, epsilon=1e-8, decay=1e-3),
]


@pytest.mark.parametrize("optimizer", CONFIG_CASES, ids=repr)
def test_config_round_trips_through_json(optimizer):
    config = json.loads(json.dumps(optimizer.get_config()))
    rebuilt = type(optimizer).from_config(config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == optimizer.get_config()
    assert Optimizer.from_config(config).get_config() == optimizer.get_config()
    assert repr(rebuilt) == repr(optimizer)


def test_config_has_clipping_only_when_set_and_accepts_keras2_lr_key():
    assert "clipnorm" not in Adam().get_config() and "clipvalue" not in Adam().get_config()
    assert Adam.from_config({"lr": 0.01, "beta_1": 0.8}).learning_rate == 0.01
    with pytest.raises(ValueError, match="Adam.from_config got a config for 'SGD'"):
        Adam.from_config(SGD().get_config())


@pytest.mark.parametrize(("name", "cls"), [("sgd", SGD), ("RMSprop", RMSprop),
                                           ("adagrad", Adagrad), ("ADAM", Adam)])
def test_get_resolves_names_to_fresh_default_instances(name, cls):
    first, second = optimizers.get(name), optimizers.get(name)
    assert type(first) is cls and first is not second
    assert first.get_config() == cls().get_config()


def test_get_passes_instances_through_and_rejects_unknown_identifiers():
    optimizer = Adam(learning_rate=0.5)
    assert optimizers.get(optimizer) is optimizer
    with pytest.raises(ValueError, match=r"unknown optimizer 'adma'; valid names: adagrad, "
                                         r"adam, rmsprop, sgd\. Did you mean 'adam'\?"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="unknown optimizer 'adadelta'; valid names: "):
        optimizers.get("adadelta")
    with pytest.raises(TypeError, match="name such as 'adam' or an Optimizer instance"):
        optimizers.get(Adam)


# ----- state ---------------------------------------------------------------------------------
STATE_CASES = [
    SGD(learning_rate=0.05),
    SGD(learning_rate=0.05, momentum=0.9, nesterov=True, decay=0.1),
    RMSprop(learning_rate=0.01, clipnorm=0.5),
    Adagrad(learning_rate=0.1, clipvalue=0.2),
    Adam(learning_rate=0.01, decay=0.05),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", STATE_CASES, ids=repr)
def test_restored_state_continues_bit_identically(optimizer, dtype):
    rng = np.random.default_rng(7)
    shapes = [(4, 3), (3,), ()]
    params = [dl.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
              for shape in shapes]
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in shapes] for _ in range(7)]
    optimizer = Optimizer.from_config(optimizer.get_config())
    for step_grads in grads[:3]:
        optimizer.apply_gradients(zip(step_grads, params, strict=True))
    state = optimizer.get_state(params)
    assert state[0].dtype == np.int64 and state[0].item() == 3
    assert len(state) == 1 + len(optimizer.slot_names) * len(params)

    copies = [dl.tensor(param.data.copy(), requires_grad=True) for param in params]
    restored = Optimizer.from_config(optimizer.get_config())
    restored.set_state(copies, state)
    for step_grads in grads[3:]:
        optimizer.apply_gradients(zip(step_grads, params, strict=True))
        restored.apply_gradients(zip(step_grads, copies, strict=True))
    assert restored.iterations == optimizer.iterations == 7
    for ours, theirs in zip(params, copies, strict=True):
        np.testing.assert_array_equal(ours.data, theirs.data)
    for ours, theirs in zip(optimizer.get_state(params), restored.get_state(copies),
                            strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_state_before_any_update_is_zeros_with_parameter_shapes():
    params = [dl.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True),
              dl.tensor(np.ones(3), requires_grad=True)]
    state = Adam().get_state(params)
    assert [(a.shape, a.dtype) for a in state] == [
        ((), np.int64), ((2, 3), np.float32), ((2, 3), np.float32), ((3,), np.float64),
        ((3,), np.float64)]
    assert all(not a.any() for a in state)
    assert len(SGD().get_state(params)) == 1  # no momentum, no slots


def test_get_state_returns_copies():
    param = dl.tensor(np.ones(3), requires_grad=True)
    optimizer = Adagrad()
    optimizer.apply_gradients([(np.ones(3), param)])
    state = optimizer.get_state([param])
    optimizer.apply_gradients([(np.ones(3), param)])
    np.testing.assert_array_equal(state[1], 1.0)


def test_set_state_names_the_wrong_array_and_changes_nothing():
    params = [dl.tensor(np.ones((2, 2)), requires_grad=True), dl.tensor(np.ones(3),
                                                                       requires_grad=True)]
    optimizer = Adam()
    optimizer.apply_gradients([(np.ones((2, 2)), params[0]), (np.ones(3), params[1])])
    good = optimizer.get_state(params)
    with pytest.raises(ValueError, match=r"expected 5 arrays \(iterations, then 2 slot "
                                         r"array\(s\) \['m', 'v'\] for each of 2 parameters\), "
                                         "got 4"):
        optimizer.set_state(params, good[:4])
    with pytest.raises(ValueError, match=r"array 3 \(slot 'm' of parameter 1\) must have shape "
                                         r"\(3,\) and dtype float64, got shape \(4,\)"):
        optimizer.set_state(params, [*good[:3], np.zeros(4), good[4]])
    with pytest.raises(ValueError, match=r"array 2 \(slot 'v' of parameter 0\).*dtype float32"):
        optimizer.set_state(params, [*good[:2], good[2].astype(np.float32), *good[3:]])
    with pytest.raises(ValueError, match=r"array 0 \(iterations\) must hold one non-negative"):
        optimizer.set_state(params, [np.array(-1), *good[1:]])
    with pytest.raises(ValueError, match=r"array 0 \(iterations\)"):
        optimizer.set_state(params, [np.array(1.5), *good[1:]])
    for ours, theirs in zip(optimizer.get_state(params), good, strict=True):
        np.testing.assert_array_equal(ours, theirs)
