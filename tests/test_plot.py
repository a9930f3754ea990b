"""dlcore.plot: what each function draws (line data, image arrays, texts), and its errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

import dlcore as dl  # noqa: E402
from dlcore import plot  # noqa: E402
from dlcore.callbacks import History  # noqa: E402
from dlcore.introspection import layer_gradients, lstm_gate_activations  # noqa: E402
from dlcore.layers import LSTM, Conv2D, Dense, Flatten, MaxPooling2D  # noqa: E402
from dlcore.models import Sequential  # noqa: E402
from dlcore.plot.style import PALETTE, new_figure  # noqa: E402
from dlcore.utils import set_random_seed  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def images_of(fig):
    """The arrays shown by imshow, panel by panel (hidden panels left out)."""
    return [np.asarray(image.get_array()) for ax in fig.axes if ax.get_visible()
            for image in ax.get_images()]


def labelled_lines(ax):
    return {line.get_label(): line for line in ax.get_lines()
            if not line.get_label().startswith("_")}


# ----- style ------------------------------------------------------------------------------
def test_new_figure_is_opaque_white():
    fig, ax = new_figure()
    assert to_rgba(fig.get_facecolor()) == (1.0, 1.0, 1.0, 1.0)
    assert ax.figure is fig
    assert len(set(PALETTE)) == len(PALETTE) >= 8


# ----- curves -------------------------------------------------------------------------------
def fitted_history():
    history = History()
    history.on_train_begin()
    for epoch, (loss, accuracy) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        history.on_epoch_end(epoch, {"loss": loss, "accuracy": accuracy,
                                     "val_loss": loss + 0.1, "val_accuracy": accuracy - 0.1})
    return history


def test_plot_history_draws_one_panel_per_metric_with_dashed_validation():
    history = fitted_history()
    fig = plot.plot_history(history)
    loss_ax, accuracy_ax = fig.axes
    assert loss_ax.get_title() == "loss" and accuracy_ax.get_title() == "accuracy"
    assert loss_ax.get_xlabel() == "epoch" and loss_ax.get_ylabel() == "loss"
    for ax, metric in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        lines = labelled_lines(ax)
        np.testing.assert_allclose(lines["training"].get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(lines["training"].get_ydata(), history.history[metric])
        np.testing.assert_allclose(lines["validation"].get_ydata(),
                                   history.history["val_" + metric])
        assert lines["training"].get_linestyle() == "-"
        assert lines["validation"].get_linestyle() == "--"


def test_plot_history_takes_the_dict_chosen_metrics_and_callers_axes():
    fig, axes = plt.subplots(1, 2)
    returned = plot.plot_history({"loss": [3.0, 2.0]}, metrics=["loss"], axes=axes[1:])
    assert returned is fig
    assert not axes[0].get_lines()
    np.testing.assert_allclose(labelled_lines(axes[1])["training"].get_ydata(), [3.0, 2.0])


def test_plot_history_errors():
    with pytest.raises(ValueError, match=r"plot_history: the history has no metric 'mae'; it "
                                         r"records \['loss'\]"):
        plot.plot_history({"loss": [1.0]}, metrics=["mae"])
    with pytest.raises(ValueError, match=r"plot_history: the history is empty; train first"):
        plot.plot_history(History())
    with pytest.raises(TypeError, match=r"plot_history expects a History .* got list"):
        plot.plot_history([1.0, 2.0])
    with pytest.raises(ValueError, match=r"plot_history draws 2 panels but got 1 axes"):
        plot.plot_history(fitted_history(), axes=plt.subplots()[1])


def test_plot_curves_draws_each_curve_from_start():
    ax = plot.plot_curves({"sgd": [3, 2, 1], "adam": [3, 1, 0.5]}, logy=True,
                          xlabel="step", ylabel="loss", start=0)
    lines = labelled_lines(ax)
    np.testing.assert_allclose(lines["adam"].get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(lines["adam"].get_ydata(), [3, 1, 0.5])
    assert lines["sgd"].get_color() != lines["adam"].get_color()
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    with pytest.raises(TypeError, match=r"plot_curves expects a dict name -> values, got list"):
        plot.plot_curves([1, 2, 3])


# ----- decision boundary --------------------------------------------------------------------
def three_sectors(points):
    """Probabilities of 3 classes chosen by the sign pattern of x and y (a fixed classifier)."""
    labels = np.where(points[:, 0] < 0, 0, np.where(points[:, 1] < 0, 1, 2))
    return np.eye(3)[labels] * 0.8 + 0.2 / 3


def test_decision_grid_covers_the_padded_range():
    x = np.array([[0.0, 0.0], [1.0, 2.0]])
    xx, yy, probabilities = plot.decision_grid(three_sectors, x, resolution=5, padding=0.5)
    assert xx.shape == yy.shape == (5, 5) and probabilities.shape == (5, 5, 3)
    np.testing.assert_allclose(xx[0], [-0.5, 0, 0.5, 1.0, 1.5])
    np.testing.assert_allclose(yy[:, 0], [-0.5, 0.25, 1.0, 1.75, 2.5])


def test_decision_boundary_image_is_the_argmax_on_the_grid():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(30, 2))
    y = three_sectors(x).argmax(axis=1)
    ax = plot.plot_decision_boundary(three_sectors, x, y, resolution=20)
    xx, yy, probabilities = plot.decision_grid(three_sectors, x, 20, 0.5)
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), probabilities.argmax(axis=-1))
    assert image.get_extent() == [xx.min(), xx.max(), yy.min(), yy.max()]
    drawn = np.concatenate([points.get_offsets() for points in ax.collections])
    assert len(drawn) == len(x)
    np.testing.assert_allclose(np.sort(drawn, axis=0), np.sort(x, axis=0))


def test_decision_boundary_of_a_binary_model_shows_probabilities():
    set_random_seed(0)
    model = Sequential([Dense(1, activation="sigmoid", input_dim=2)])
    x = np.array([[-1.0, -1.0], [1.0, 1.0]], dtype=np.float32)
    ax = plot.plot_decision_boundary(model, x, np.array([0, 1]), resolution=10)
    (image,) = ax.get_images()
    _, _, probabilities = plot.decision_grid(model, x, 10, 0.5)
    np.testing.assert_allclose(image.get_array(), probabilities[..., 0])
    assert image.get_clim() == (0, 1)


def test_plot_points_colours_each_class():
    x = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    ax = plot.plot_points(x, np.eye(2)[[1, 0, 1]])
    first, second = ax.collections
    np.testing.assert_allclose(first.get_offsets(), x[[1]])
    np.testing.assert_allclose(second.get_offsets(), x[[0, 2]])
    np.testing.assert_allclose(second.get_facecolor()[0], to_rgba(PALETTE[1]))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_errors():
    with pytest.raises(ValueError, match=r"decision_grid expects points x of shape \(n, 2\), "
                                         r"got shape \(4, 3\)"):
        plot.decision_grid(three_sectors, np.zeros((4, 3)))
    with pytest.raises(TypeError, match=r"decision_grid expects a dlcore Model or a function"):
        plot.decision_grid("model", np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"x has 2 points but y has 3 labels"):
        plot.plot_decision_boundary(three_sectors, np.zeros((2, 2)), [0, 1, 2])


# ----- confusion matrix ---------------------------------------------------------------------
def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    y_true = [0, 0, 1, 2, 2, 2]
    y_pred = np.eye(3)[[0, 1, 1, 2, 0, 2]]  # one-hot predictions are reduced by argmax
    expected = [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    np.testing.assert_array_equal(plot.confusion_matrix(y_true, y_pred), expected)
    assert plot.confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)
    np.testing.assert_array_equal(plot.confusion_matrix([0, 1, 1], [[0.2], [0.9], [0.4]]),
                                  [[1, 0], [1, 1]])  # sigmoid outputs: class 1 above 0.5


def test_plot_confusion_matrix_annotates_counts_and_fractions():
    y_true, y_pred = [0, 0, 0, 1], [0, 0, 1, 1]
    ax = plot.plot_confusion_matrix(y_true, y_pred, class_names=["cat", "dog"])
    assert [text.get_text() for text in ax.texts] == ["2", "1", "0", "1"]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), [[2, 1], [0, 1]])
    assert [label.get_text() for label in ax.get_xticklabels()] == ["cat", "dog"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    ax = plot.plot_confusion_matrix(y_true, y_pred, normalize=True)
    assert [text.get_text() for text in ax.texts] == ["0.67", "0.33", "0.00", "1.00"]


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match=r"y_true has 2 samples but y_pred has 3"):
        plot.confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match=r"num_classes=2 but the labels go up to 3"):
        plot.confusion_matrix([0, 3], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match=r"y_true holds the negative label -1"):
        plot.confusion_matrix([-1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"1 class_names for 2 classes"):
        plot.plot_confusion_matrix([0, 1], [0, 1], class_names=["cat"])


# ----- convolution --------------------------------------------------------------------------
def test_plot_filters_shows_every_filter_on_one_symmetric_scale():
    kernel = np.arange(3 * 3 * 2 * 5, dtype=float).reshape(3, 3, 2, 5) - 40
    images = images_of(plot.plot_filters(kernel))
    assert len(images) == 5
    for index, image in enumerate(images):
        np.testing.assert_allclose(image, kernel[:, :, :, index].mean(axis=2))
    fig = plot.plot_filters(kernel, channel=1)
    np.testing.assert_allclose(images_of(fig)[4], kernel[:, :, 1, 4])
    limits = {image.get_clim() for ax in fig.axes for image in ax.get_images()}
    assert limits == {(-np.abs(kernel[:, :, 1]).max(), np.abs(kernel[:, :, 1]).max())}


def test_plot_filters_takes_a_conv_layer_and_a_callers_figure():
    layer = Conv2D(3, 2)
    layer(np.zeros((1, 4, 4, 1), dtype=np.float32))
    fig = plt.figure()
    assert plot.plot_filters(layer, fig=fig) is fig
    np.testing.assert_allclose(images_of(fig)[2], layer.kernel.data[:, :, 0, 2])


def test_plot_filters_errors():
    with pytest.raises(ValueError, match=r"plot_filters expects a Conv2D layer or a kernel of "
                                         r"shape .* got shape \(3, 4\)"):
        plot.plot_filters(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"channel=2 but the kernel has 1 input channels"):
        plot.plot_filters(np.zeros((3, 3, 1, 2)), channel=2)
    with pytest.raises(ValueError, match=r"Conv2D layer 'unbuilt' has no kernel yet"):
        plot.plot_filters(Conv2D(2, 3, name="unbuilt"))


@pytest.fixture
def conv_model():
    set_random_seed(0)
    return Sequential([Conv2D(3, 3, input_shape=(6, 6, 1), name="conv"),
                       MaxPooling2D(name="pool"), Flatten(name="flat")])


def test_plot_feature_maps_shows_the_layers_channels(conv_model):
    image = np.random.default_rng(0).normal(size=(6, 6, 1)).astype(np.float32)
    expected = conv_model.layers[0](image[None]).data[0]
    fig = plot.plot_feature_maps(conv_model, image, "conv")
    images = images_of(fig)
    assert len(images) == 3
    for index, shown in enumerate(images):
        np.testing.assert_allclose(shown, expected[:, :, index], rtol=1e-6)
    assert len(images_of(plot.plot_feature_maps(conv_model, image[None], 1, max_maps=2))) == 2


def test_plot_feature_maps_errors(conv_model):
    image = np.zeros((6, 6, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=r"no layer named 'dense'; its layers are "
                                         r"\['conv', 'pool', 'flat'\]"):
        plot.plot_feature_maps(conv_model, image, "dense")
    with pytest.raises(ValueError, match=r"an index from 0 to 2, got 7"):
        plot.plot_feature_maps(conv_model, image, 7)
    with pytest.raises(ValueError, match=r"layer 'flat' outputs shape \(12,\) per image, not "
                                         r"feature maps"):
        plot.plot_feature_maps(conv_model, image, "flat")
    with pytest.raises(ValueError, match=r"expects one image .* got shape \(2, 6, 6, 1\)"):
        plot.plot_feature_maps(conv_model, np.zeros((2, 6, 6, 1)), "conv")


def test_plot_feature_map_shows_input_annotated_kernel_and_result():
    image = np.arange(16.0).reshape(4, 4)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
    feature_map = image[:3, :3] - image[1:, 1:]
    fig = plot.plot_feature_map(image, kernel, feature_map)
    shown = images_of(fig)
    for got, expected in zip(shown, (image, kernel, feature_map), strict=True):
        np.testing.assert_allclose(got, expected)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["input 4×4", "kernel 2×2", "feature map 3×3"]
    assert [text.get_text() for text in fig.axes[1].texts] == ["1", "0", "0", "-1"]
    assert fig.axes[0].get_xlabel() == "pixel"
    with pytest.raises(ValueError, match=r"plot_feature_map expects kernel as a 2-D array"):
        plot.plot_feature_map(image, np.zeros((2, 2, 1)), feature_map)


# ----- histograms ---------------------------------------------------------------------------
@pytest.fixture
def dense_model():
    set_random_seed(0)
    model = Sequential([Dense(6, activation="tanh", input_dim=4, name="one"),
                        Dense(3, activation="softmax", name="two")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def bar_heights(ax):
    return np.array([patch.get_height() for patch in ax.patches])


def test_weight_histograms_show_kernels_only(dense_model):
    fig = plot.plot_histograms(dense_model, bins=10)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == [
        f"one/kernel\nstd {dense_model.layers[0].kernel.data.std():.3g}",
        f"two/kernel\nstd {dense_model.layers[1].kernel.data.std():.3g}"]
    first = fig.axes[0]
    assert len(first.patches) == 10
    counts, _ = np.histogram(dense_model.layers[0].kernel.data, bins=10)
    np.testing.assert_array_equal(bar_heights(first), counts)


def test_gradient_and_activation_histograms_use_introspection(dense_model):
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    y = np.arange(8) % 3
    fig = plot.plot_histograms(dense_model, x, y, kind="gradients", bins=5)
    gradients = layer_gradients(dense_model, x, y)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 2
    for ax, (name, values) in zip(panels, gradients, strict=True):
        assert ax.get_title().startswith(f"{name}\nstd ")
        np.testing.assert_array_equal(bar_heights(ax), np.histogram(values, bins=5)[0])
    fig = plot.plot_histograms(dense_model, x, kind="activations")
    assert fig.axes[1].get_title().startswith("two\nstd ")


def test_histogram_errors(dense_model):
    with pytest.raises(ValueError, match=r"kind must be one of \('weights', 'activations', "
                                         r"'gradients'\), got 'biases'"):
        plot.plot_histograms(dense_model, kind="biases")
    with pytest.raises(ValueError, match=r"kind='gradients' needs y"):
        plot.plot_histograms(dense_model, np.zeros((2, 4)), kind="gradients")
    with pytest.raises(ValueError, match=r"kind='activations' needs x"):
        plot.plot_histograms(dense_model, kind="activations")


# ----- computation graph --------------------------------------------------------------------
def test_graph_edges_of_a_small_expression():
    a, b, c = (dl.tensor(np.ones((2, 3)), requires_grad=True) for _ in range(3))
    nodes, edges = plot.graph_edges(((a * b) + c).sum(), names={"a": a, "b": b, "c": c})
    assert [(node.kind, node.label, node.depth) for node in nodes] == [
        ("tensor", "a", 0), ("tensor", "b", 0), ("operation", "Mul", 1),
        ("tensor", "(2, 3)", 2), ("tensor", "c", 2), ("operation", "Add", 3),
        ("tensor", "(2, 3)", 4), ("operation", "Sum", 5), ("tensor", "scalar", 6)]
    assert edges == [(0, 2), (1, 2), (2, 3), (3, 5), (4, 5), (5, 6), (6, 7), (7, 8)]


def test_graph_labels_constants_by_value_and_functions_without_suffix():
    w = dl.tensor(np.ones((3, 2)), requires_grad=True)
    nodes, _ = plot.graph_edges(dl.functional.softmax(w * 2))
    assert [node.label for node in nodes] == ["(3, 2)", "2", "Mul", "(3, 2)", "Softmax",
                                              "(3, 2)"]


def test_plot_graph_draws_a_box_per_node_and_an_arrow_per_edge():
    x = dl.tensor(np.ones((4, 3)))
    w = dl.tensor(np.ones((3, 2)), requires_grad=True)
    result = (x @ w).tanh()
    ax = plot.plot_graph(result, names={"x": x, "w": w})
    nodes, edges = plot.graph_edges(result, names={"x": x, "w": w})
    labels = [text.get_text() for text in ax.texts if not isinstance(text, Annotation)]
    assert labels == [node.label for node in nodes] == ["x", "w", "MatMul", "(4, 2)", "Tanh",
                                                        "(4, 2)"]
    arrows = [text for text in ax.texts if isinstance(text, Annotation)]
    assert len(arrows) == len(edges) == 5
    boxes = [text.get_bbox_patch().get_boxstyle() for text in ax.texts
             if not isinstance(text, Annotation)]
    assert [type(style).__name__ for style in boxes[:3]] == ["Round", "Round", "Circle"]


def test_graph_errors():
    with pytest.raises(TypeError, match=r"graph_edges expects a dlcore Tensor, got ndarray"):
        plot.graph_edges(np.ones(3))
    w = dl.tensor(np.ones(3), requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(ValueError, match=r"backward\(\) has already freed this graph"):
        plot.graph_edges(loss)


# ----- optimizer paths ----------------------------------------------------------------------
def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def test_plot_optimizer_paths_draws_the_given_paths_and_minimum():
    sgd = np.array([[-1.5, 2.0], [-1.0, 1.0], [0.0, 0.2]])
    adam = np.array([[-1.5, 2.0], [0.5, 0.5]])
    ax = plot.plot_optimizer_paths(rosenbrock, {"sgd": sgd, "adam": adam},
                                   ((-2, 2), (-1, 3)), levels=12, minimum=(1, 1))
    lines = labelled_lines(ax)
    for name, path in (("sgd", sgd), ("adam", adam)):
        np.testing.assert_allclose(np.column_stack(lines[name].get_data()), path)
    np.testing.assert_allclose(np.ravel(lines["minimum"].get_data()), [1, 1])
    markers = {(line.get_marker(), tuple(np.ravel(line.get_data())))
               for line in ax.get_lines() if line.get_label().startswith("_")}
    assert markers == {("o", (-1.5, 2.0)), ("s", (0.0, 0.2)), ("s", (0.5, 0.5))}
    (contours,) = ax.collections
    levels = contours.levels
    assert len(levels) == 12
    ratios = levels[1:] / levels[:-1]  # log-spaced: each level a fixed factor above the last
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-3)
    assert ratios[0] > 2
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["sgd", "adam",
                                                                         "minimum"]


def test_plot_optimizer_paths_errors():
    with pytest.raises(ValueError, match=r"path 'sgd' must be an array of points "
                                         r"\(steps \+ 1, 2\), got shape \(3,\)"):
        plot.plot_optimizer_paths(rosenbrock, {"sgd": [1, 2, 3]}, ((-2, 2), (-1, 3)))
    with pytest.raises(ValueError, match=r"expects bounds \(\(xmin, xmax\), \(ymin, ymax\)\)"):
        plot.plot_optimizer_paths(rosenbrock, {}, ((2, -2), (-1, 3)))
    with pytest.raises(ValueError, match=r"function\(x, y\) returned shape \(\) for grids"):
        plot.plot_optimizer_paths(lambda x, y: 1.0, {}, ((-2, 2), (-1, 3)))


# ----- LSTM gates ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gates():
    set_random_seed(2)
    layer = LSTM(4)
    x = np.random.default_rng(2).normal(size=(2, 7, 3)).astype(np.float32)
    layer(x)
    return lstm_gate_activations(layer, x)


def test_gate_heat_maps_are_the_gate_arrays(gates):
    fig = plot.plot_gate_activations(gates, sample=1)
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert [ax.get_title() for ax in panels] == ["input gate", "forget gate",
                                                  "candidate (cell)", "output gate",
                                                  "cell state", "hidden state"]
    for ax, key in zip(panels, ["input", "forget", "cell", "output", "cell_state", "hidden"],
                       strict=True):
        (image,) = ax.get_images()
        np.testing.assert_allclose(image.get_array(), gates[key][1].T)
        assert ax.get_xlabel() == "time step" and ax.get_ylabel() == "unit"
    assert panels[0].get_images()[0].get_clim() == (0.0, 1.0)


def test_gate_heat_maps_of_chosen_units_into_callers_axes(gates):
    fig, axes = plt.subplots(2, 1)
    chosen = {"forget": gates["forget"], "output": gates["output"]}
    assert plot.plot_gate_activations(chosen, units=[3, 0], axes=axes) is fig
    np.testing.assert_allclose(axes[1].get_images()[0].get_array(), gates["output"][0][:, [3, 0]].T)
    fig = plot.plot_gate_activations(gates, units=2)
    assert fig.axes[0].get_images()[0].get_array().shape == (2, 7)


def test_gate_heat_map_errors(gates):
    with pytest.raises(ValueError, match=r"sample=5 but the batch holds 2 sequences"):
        plot.plot_gate_activations(gates, sample=5)
    with pytest.raises(ValueError, match=r"units must be a count from 1 to 4 or indices"):
        plot.plot_gate_activations(gates, units=[4])
    with pytest.raises(ValueError, match=r"expects the dict of lstm_gate_activations"):
        plot.plot_gate_activations({"h": np.zeros((1, 2, 3))})
