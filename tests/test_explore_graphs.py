"""The graph twin (dlcore.explore.graphs) and its widget (dlcore.widgets.graphs)."""

import numpy as np
import pytest

import dlcore as dl
from dlcore.explore.graphs import (
    EXPRESSIONS,
    MLP_WEIGHTS,
    expression_graph,
    expression_inputs,
    format_value,
    graph_layout,
    node_gradients,
    trace,
)


def value_of(result, label):
    nodes, _, values, _ = result
    return values[nodes.index(label)]


def grad_of(result, label):
    nodes, _, _, grads = result
    return grads[nodes.index(label)]


def test_neuron_values_and_gradients_match_hand_derivation():
    inputs = {"x1": 0.7, "x2": -1.2, "w1": 1.5, "w2": 0.3, "b": -0.4}
    result = expression_graph("neuron", **inputs)
    nodes, edges, values, grads = result
    z = inputs["w1"] * inputs["x1"] + inputs["w2"] * inputs["x2"] + inputs["b"]
    out = np.tanh(z)
    assert nodes[-1] == "tanh"
    assert values[-1] == pytest.approx(out)
    slope = 1 - out**2
    assert grads[-1] == pytest.approx(1.0)
    assert grad_of(result, "w1") == pytest.approx(slope * inputs["x1"])
    assert grad_of(result, "x1") == pytest.approx(slope * inputs["w1"])
    assert grad_of(result, "w2") == pytest.approx(slope * inputs["x2"])
    assert grad_of(result, "x2") == pytest.approx(slope * inputs["w2"])
    assert grad_of(result, "b") == pytest.approx(slope)
    # every intermediate node (mul, add) of a sum feeds tanh with weight 1: same gradient
    for label, grad in zip(nodes, grads, strict=True):
        if label in ("mul", "add"):
            assert grad == pytest.approx(slope)
    assert sorted(nodes) == sorted(["w1", "x1", "mul", "w2", "x2", "mul", "add", "b", "add",
                                    "tanh"])
    assert len(edges) == 9


def test_squared_error_keeps_the_constant_exponent_without_gradient():
    result = expression_graph("squared_error", x=2.0, y=0.5, w=-1.0, b=0.25)
    nodes, edges, values, grads = result
    residual = -1.0 * 2.0 + 0.25 - 0.5
    assert values[-1] == pytest.approx(residual**2)
    assert value_of(result, "sub") == pytest.approx(residual)
    assert grad_of(result, "sub") == pytest.approx(2 * residual)
    assert grad_of(result, "w") == pytest.approx(2 * residual * 2.0)
    assert grad_of(result, "y") == pytest.approx(-2 * residual)
    assert "2" in nodes
    assert grads[nodes.index("2")] is None
    assert value_of(result, "2") == 2.0


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_graph_is_topological_and_ends_in_a_scalar_output(name):
    nodes, edges, values, grads = expression_graph(name)
    assert len(nodes) == len(values) == len(grads)
    assert all(parent < child for parent, child in edges)
    children = {parent for parent, _ in edges}
    assert [i for i in range(len(nodes)) if i not in children] == [len(nodes) - 1]
    assert values[-1].size == 1
    for value, grad in zip(values, grads, strict=True):
        if grad is not None:
            assert grad.shape == value.shape


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_leaf_gradients_equal_the_engine_backward(name):
    leaves = expression_inputs(name)
    output = EXPRESSIONS[name].build(leaves)
    order, labels, _ = trace(output, {id(t): key for key, t in leaves.items()})
    mine = dict(zip(labels, node_gradients(order), strict=True))
    output.backward()
    for key, leaf in leaves.items():
        np.testing.assert_allclose(mine[key], leaf.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_input_gradients_match_central_differences(name):
    defaults = EXPRESSIONS[name].inputs
    result = expression_graph(name)
    eps = 1e-6
    for key, default in defaults.items():
        plus = expression_graph(name, **{key: default + eps})[2][-1].item()
        minus = expression_graph(name, **{key: default - eps})[2][-1].item()
        numeric = (plus - minus) / (2 * eps)
        if name == "mlp" and key in ("x1", "x2"):
            analytic = grad_of(result, "x")[0, int(key[1]) - 1]
        else:
            analytic = np.asarray(grad_of(result, key)).item()
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-9), key


def test_mlp_uses_its_fixed_weights_and_intermediate_gradients_agree_with_gradcheck():
    result = expression_graph("mlp", x1=0.3, x2=0.9, y=-0.2)
    np.testing.assert_array_equal(value_of(result, "W1"), MLP_WEIGHTS["W1"])
    x = np.array([[0.3, 0.9]])
    hidden = np.tanh(x @ MLP_WEIGHTS["W1"] + MLP_WEIGHTS["b1"])
    prediction = hidden @ MLP_WEIGHTS["W2"] + MLP_WEIGHTS["b2"]
    assert value_of(result, "tanh") == pytest.approx(hidden)
    assert result[2][-1] == pytest.approx(((prediction + 0.2) ** 2).item())
    # d loss / d hidden is (2 * residual) * W2^T
    np.testing.assert_allclose(grad_of(result, "tanh"),
                               2 * (prediction + 0.2) * MLP_WEIGHTS["W2"].T, rtol=1e-12)

    def loss(w1):
        h = (dl.tensor(x, dtype="float64") @ w1 + dl.tensor(MLP_WEIGHTS["b1"])).tanh()
        return ((h @ dl.tensor(MLP_WEIGHTS["W2"]) + dl.tensor(MLP_WEIGHTS["b2"]) + 0.2) ** 2).mean()

    assert dl.gradcheck(loss, dl.tensor(MLP_WEIGHTS["W1"], requires_grad=True))


def test_layout_points_every_edge_right_and_never_stacks_two_nodes():
    for name in EXPRESSIONS:
        nodes, edges, _, _ = expression_graph(name)
        positions = graph_layout(nodes, edges)
        assert positions.shape == (len(nodes), 2)
        assert all(positions[p, 0] < positions[c, 0] for p, c in edges)
        assert positions[:, 0].min() == 0
        assert len({tuple(p) for p in positions.round(6)}) == len(nodes)
        # the output sits alone at the right end, at height 0
        assert positions[-1, 0] == positions[:, 0].max()
        assert positions[-1, 1] == 0


def test_bad_arguments_say_what_is_accepted():
    with pytest.raises(ValueError, match="'nope'.*'neuron'"):
        expression_graph("nope")
    with pytest.raises(ValueError, match="has no input 'z'"):
        expression_graph("neuron", z=1.0)
    with pytest.raises(ValueError, match="finite"):
        expression_graph("neuron", x1=float("nan"))


def test_format_value():
    assert format_value(None) == "-"
    assert format_value(np.array(0.123456)) == "0.123"
    assert format_value(np.array([[1.0, -0.5]])) == "[[ 1.  -0.5]]"


# ----- the widget ---------------------------------------------------------------------------

def node_texts(explorer, prefix):
    ax = explorer.figure.axes[0]
    return {text.get_gid(): text.get_text() for text in ax.texts
            if (text.get_gid() or "").startswith(prefix)}


def test_widget_redraws_values_when_a_slider_moves():
    from dlcore.widgets.graphs import graph_explorer

    explorer = graph_explorer("neuron")
    nodes, _, values, _ = explorer.result
    assert nodes == expression_graph("neuron")[0]
    before = node_texts(explorer, "node")
    assert len(before) == len(nodes)
    explorer.controls["x1"].value = 2.5
    nodes, _, values, grads = explorer.result
    assert values[nodes.index("x1")] == pytest.approx(2.5)
    expected = expression_graph("neuron", **{**EXPRESSIONS["neuron"].inputs, "x1": 2.5})
    assert values[-1] == pytest.approx(expected[2][-1])
    after = node_texts(explorer, "node")
    assert after[f"node {nodes.index('x1')}"] == "x1\n2.5"
    assert after[f"node {len(nodes) - 1}"] == f"tanh\n{format_value(expected[2][-1])}"
    assert after != before
    # the slider of w1 changes the gradient that reaches x1
    grad_before = grads[nodes.index("x1")]
    explorer.controls["w1"].value = -1.0
    _, _, _, grads = explorer.result
    assert grads[nodes.index("x1")] != pytest.approx(grad_before)


def test_widget_backward_checkbox_shows_and_hides_gradients():
    from dlcore.widgets.graphs import graph_explorer

    explorer = graph_explorer("squared_error", backward=True)
    nodes, _, _, grads = explorer.result
    shown = node_texts(explorer, "grad")
    assert len(shown) == sum(g is not None for g in grads)
    assert shown[f"grad {len(nodes) - 1}"] == "grad 1"
    explorer.controls["backward"].value = False
    assert node_texts(explorer, "grad") == {}
    assert "Tick 'backward'" in explorer.status.value


def test_widget_switching_expression_shows_only_its_sliders():
    from dlcore.widgets.graphs import graph_explorer

    explorer = graph_explorer("neuron")
    explorer.controls["expression"].value = "mlp"
    nodes, _, values, _ = explorer.result
    assert "matmul" in nodes and nodes[-1] == "mean"
    for key in ("x1", "x2", "y"):
        assert explorer.controls[key].layout.display is None
        assert explorer.controls[key].value == pytest.approx(EXPRESSIONS["mlp"].inputs[key])
    for key in ("w1", "w2", "b", "x", "w"):
        assert explorer.controls[key].layout.display == "none"
    assert values[-1] == pytest.approx(expression_graph("mlp")[2][-1])
    assert len(node_texts(explorer, "node")) == len(nodes)
    with pytest.raises(ValueError, match="unknown expression"):
        graph_explorer("nope")
