"""Golden trajectories: dlcore's optimizers against torch.optim on a tiny linear regression.

Both sides start from the same weights, compute the same mean squared error on the same
batch, and take 8 steps; the weights must agree after every step. Where PyTorch places
epsilon differently (Adam), both sides use epsilon = 1e-12 so that the difference vanishes.
"""

import numpy as np
import pytest

import dlcore as dl
from dlcore.optimizers import SGD, Adagrad, Adam, RMSprop

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")

TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}
# Adam: the two epsilon placements differ by eps * (1 - sqrt(1 - beta_2**t)) in the denominator,
# about 1e-12 against sqrt(v) ~ 1e-3: a relative difference of about 1e-9 in a step
ADAM_FLOAT64 = dict(rtol=1e-8, atol=1e-10)
STEPS = 8


def problem(dtype):
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    kernel, bias = rng.standard_normal((3, 2)), rng.standard_normal(2)
    return [a.astype(dtype) for a in (x, y, kernel, bias)]


def dlcore_trajectory(optimizer, dtype):
    x, y, kernel, bias = problem(dtype)
    params = [dl.tensor(kernel, requires_grad=True), dl.tensor(bias, requires_grad=True)]
    trajectory = []
    for _ in range(STEPS):
        ((dl.tensor(x) @ params[0] + params[1] - dl.tensor(y)) ** 2).mean().backward()
        optimizer.step(params)
        for param in params:
            param.zero_grad()
        trajectory.append([param.data.copy() for param in params])
    return trajectory


def torch_trajectory(make_optimizer, dtype, clip=None):
    x, y, kernel, bias = (torch.tensor(a) for a in problem(dtype))
    params = [kernel.requires_grad_(), bias.requires_grad_()]
    optimizer = make_optimizer(params)
    trajectory = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        ((x @ params[0] + params[1] - y) ** 2).mean().backward()
        if clip is not None:
            for param in params:
                clip(param)
        optimizer.step()
        trajectory.append([param.detach().numpy().copy() for param in params])
    return trajectory


CASES = {
    "sgd": (lambda: SGD(learning_rate=0.1),
            lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd-momentum": (lambda: SGD(learning_rate=0.05, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "sgd-nesterov": (lambda: SGD(learning_rate=0.05, momentum=0.8, nesterov=True),
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "rmsprop": (lambda: RMSprop(learning_rate=0.01, rho=0.8, epsilon=1e-6),
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=1e-6)),
    "adagrad": (lambda: Adagrad(learning_rate=0.1, epsilon=1e-6),
                lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-6,
                                              initial_accumulator_value=0.0)),
    "adagrad-decay": (lambda: Adagrad(learning_rate=0.1, decay=0.3),
                      lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.3, eps=1e-7)),
    "adam": (lambda: Adam(learning_rate=0.05, epsilon=1e-12),
             lambda p: torch.optim.Adam(p, lr=0.05, eps=1e-12)),
    "adam-betas": (lambda: Adam(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-12),
                   lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.5, 0.9), eps=1e-12)),
}


def assert_same_trajectories(ours, theirs, dtype, tolerance=None):
    tolerance = tolerance or TOLERANCE[dtype]
    for step, (our_params, their_params) in enumerate(zip(ours, theirs, strict=True)):
        for mine, reference in zip(our_params, their_params, strict=True):
            assert mine.dtype == dtype
            np.testing.assert_allclose(mine, reference, **tolerance,
                                       err_msg=f"after step {step + 1}")


@pytest.mark.parametrize("name", list(CASES))
def test_trajectory_matches_torch_float64(name):
    ours, theirs = CASES[name]
    assert_same_trajectories(dlcore_trajectory(ours(), np.float64),
                             torch_trajectory(theirs, np.float64), np.float64,
                             ADAM_FLOAT64 if name.startswith("adam") else None)


@pytest.mark.parametrize("name", ["sgd-momentum", "adam"])
def test_trajectory_matches_torch_float32(name):
    ours, theirs = CASES[name]
    assert_same_trajectories(dlcore_trajectory(ours(), np.float32),
                             torch_trajectory(theirs, np.float32), np.float32)


def test_clipvalue_matches_torch_clip_grad_value():
    ours = dlcore_trajectory(SGD(learning_rate=0.1, clipvalue=0.3), np.float64)
    theirs = torch_trajectory(lambda p: torch.optim.SGD(p, lr=0.1), np.float64,
                              clip=lambda p: torch.nn.utils.clip_grad_value_(p, 0.3))
    assert_same_trajectories(ours, theirs, np.float64)


def test_clipnorm_matches_torch_clip_grad_norm_per_parameter():
    ours = dlcore_trajectory(SGD(learning_rate=0.1, clipnorm=0.5), np.float64)
    theirs = torch_trajectory(lambda p: torch.optim.SGD(p, lr=0.1), np.float64,
                              clip=lambda p: torch.nn.utils.clip_grad_norm_(p, 0.5))
    # torch divides by (norm + 1e-6) where Keras divides by norm: agree to about 1e-6
    assert_same_trajectories(ours, theirs, np.float64, dict(rtol=1e-5, atol=1e-7))
