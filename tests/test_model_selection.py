"""Cross-validation and the scikit-learn wrapper, on the bundled digits with tiny networks."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import dlcore as dl
from dlcore.layers import Dense
from dlcore.model_selection import CrossValidationResult, KerasClassifier, cross_validate
from dlcore.models import Sequential
from dlcore.utils import set_random_seed, to_categorical

EPOCHS = 15
SEED = 0


@pytest.fixture(scope="module")
def digits():
    """The digits' training part, flattened to (n, 64) pixels in [0, 16], and the labels."""
    (images, labels), _ = dl.datasets.load_digits()
    return images.reshape(len(images), 64).astype(np.float32), labels


@pytest.fixture(scope="module")
def x(digits):
    return digits[0] / 16


@pytest.fixture(scope="module")
def y(digits):
    return digits[1]


def build_mlp(units=32, n_features_in_=64, n_classes_=10, loss="sparse_categorical_crossentropy"):
    """The course's digits network: 64 inputs, one hidden ReLU layer, softmax over 10."""
    model = Sequential([Dense(units, activation="relu", input_dim=n_features_in_),
                        Dense(n_classes_, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def build_one_hot_mlp():
    return build_mlp(loss="categorical_crossentropy")


def build_sigmoid_network(n_features_in_):
    model = Sequential([Dense(8, activation="relu", input_dim=n_features_in_),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_logits_network():
    model = Sequential([Dense(10, input_dim=64)])
    model.compile(optimizer="adam", loss="mse")
    return model


def build_uncompiled():
    return Sequential([Dense(10, input_dim=64)])


def build_nothing():
    return None


class RecordingSplitter:
    """A StratifiedKFold that keeps the labels it was asked to split by."""

    def __init__(self):
        self.splitter = StratifiedKFold(3, shuffle=True, random_state=SEED)
        self.labels = None

    def split(self, x, y):
        self.labels = np.asarray(y)
        return self.splitter.split(x, y)


# ----- cross_validate ------------------------------------------------------------------------
def test_course_kfold_loop_scores_well_and_equals_cross_validate(x, y):
    splitter = StratifiedKFold(n_splits=3, shuffle=True, random_state=SEED)
    course_scores = []
    for fold, (train, test) in enumerate(splitter.split(x, y)):
        set_random_seed(SEED + fold)
        model = build_mlp()
        model.fit(x[train], y[train], epochs=EPOCHS, verbose=0)
        course_scores.append(model.evaluate(x[test], y[test], verbose=0))
    assert all(accuracy > 0.85 for _, accuracy in course_scores)

    result = cross_validate(build_mlp, x, y, cv=splitter, fit_kwargs={"epochs": EPOCHS},
                            seed=SEED)
    assert [[fold["loss"], fold["accuracy"]] for fold in result.scores] == course_scores
    assert [len(history["loss"]) for history in result.histories] == [EPOCHS] * 3
    assert result.mean["accuracy"] == pytest.approx(np.mean([a for _, a in course_scores]))


def test_a_number_of_folds_means_a_shuffled_stratified_split_with_the_seed(x, y):
    by_number = cross_validate(build_mlp, x, y, cv=3, fit_kwargs={"epochs": 2}, seed=SEED)
    by_splitter = cross_validate(build_mlp, x, y, fit_kwargs={"epochs": 2}, seed=SEED,
                                 cv=StratifiedKFold(3, shuffle=True, random_state=SEED))
    assert by_number.scores == by_splitter.scores
    assert by_number.histories == by_splitter.histories


def test_the_same_seed_gives_identical_results_and_another_seed_does_not(x, y):
    def run(seed):
        return cross_validate(build_mlp, x, y, cv=2, fit_kwargs={"epochs": 1}, seed=seed)

    first, second, other = run(SEED), run(SEED), run(SEED + 1)
    assert first.histories == second.histories and first.scores == second.scores
    assert first.scores != other.scores


def test_one_hot_labels_stratify_like_integer_labels_and_train_as_given(x, y):
    recorder = RecordingSplitter()
    one_hot = cross_validate(build_one_hot_mlp, x, to_categorical(y), cv=recorder,
                             fit_kwargs={"epochs": 2}, seed=SEED)
    np.testing.assert_array_equal(recorder.labels, y)
    integers = cross_validate(build_mlp, x, y, cv=recorder.splitter,
                              fit_kwargs={"epochs": 2}, seed=SEED)
    for one_hot_fold, integer_fold in zip(one_hot.scores, integers.scores, strict=True):
        assert one_hot_fold["accuracy"] == pytest.approx(integer_fold["accuracy"], abs=0.01)
        assert one_hot_fold["loss"] == pytest.approx(integer_fold["loss"], rel=1e-3)


def test_a_kfold_splitter_object_works(x, y):
    result = cross_validate(build_mlp, x, y, cv=KFold(3), fit_kwargs={"epochs": EPOCHS},
                            seed=SEED)
    assert len(result.scores) == 3
    assert result.mean["accuracy"] > 0.85


def test_regression_targets_are_split_without_stratifying(x):
    target = x.mean(axis=1, keepdims=True)

    def build_regressor():
        model = Sequential([Dense(1, input_dim=64)])
        model.compile(optimizer="adam", loss="mse")
        return model

    result = cross_validate(build_regressor, x, target, cv=3, seed=SEED)
    assert list(result.mean) == ["loss"] and len(result.scores) == 3


def test_the_result_reports_mean_std_and_a_summary_line():
    result = CrossValidationResult(
        histories=[{"loss": [0.5, 0.1]}, {"loss": [0.6, 0.3]}],
        scores=[{"loss": 0.1, "accuracy": 0.9}, {"loss": 0.3, "accuracy": 0.95}])
    assert result.mean == pytest.approx({"loss": 0.2, "accuracy": 0.925})
    assert result.std == pytest.approx({"loss": 0.1, "accuracy": 0.025})
    assert str(result) == "loss 0.200 ± 0.100, accuracy 0.925 ± 0.025 over 2 folds"
    assert repr(result) == f"CrossValidationResult({result.summary()})"


@pytest.mark.parametrize("build_fn, error, message", [
    (build_uncompiled, ValueError, "cross_validate: build_fn returned the model .* uncompiled"),
    (build_nothing, TypeError, "must return a dlcore model .* got NoneType"),
    ("build_mlp", TypeError, "build_fn must be a function .* got 'build_mlp'"),
])
def test_build_fn_must_give_a_compiled_model(x, y, build_fn, error, message):
    with pytest.raises(error, match=message):
        cross_validate(build_fn, x, y, cv=2)


@pytest.mark.parametrize("arguments, error, message", [
    ({"cv": 1}, ValueError, "cv=1 folds; cross-validation needs at least 2"),
    ({"cv": "five"}, TypeError, "cv must be a number of folds or a scikit-learn splitter"),
    ({"fit_kwargs": 5}, TypeError, "fit_kwargs must be a dict"),
    ({"evaluate_kwargs": [1]}, TypeError, "evaluate_kwargs must be a dict"),
])
def test_bad_arguments_are_named(x, y, arguments, error, message):
    with pytest.raises(error, match=message):
        cross_validate(build_mlp, x, y, **arguments)


def test_samples_and_targets_must_match_in_number(x, y):
    with pytest.raises(ValueError, match="x has 1347 samples but y has 1346"):
        cross_validate(build_mlp, x, y[:-1])


# ----- KerasClassifier -----------------------------------------------------------------------
def classifier(**params):
    return KerasClassifier(build_mlp, **{"epochs": EPOCHS, "seed": SEED, **params})


@pytest.fixture(scope="module")
def fitted(x, y):
    return classifier().fit(x, y)


def test_the_wrapper_scores_well_in_cross_val_score(x, y):
    scores = cross_val_score(classifier(), x, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.85)


def test_grid_search_picks_the_better_build_parameter_in_one_or_two_processes(x, y):
    searches = [GridSearchCV(classifier(units=32), {"units": [1, 32]}, cv=2, n_jobs=n_jobs)
                .fit(x, y) for n_jobs in (1, 2)]
    for search in searches:
        assert search.best_params_ == {"units": 32}
        assert search.best_estimator_.units == 32 and search.best_score_ > 0.85
    np.testing.assert_array_equal(searches[0].cv_results_["mean_test_score"],
                                  searches[1].cv_results_["mean_test_score"])


def test_a_pipeline_scales_raw_pixels_for_the_network(digits):
    pixels, labels = digits
    pipeline = Pipeline([("scale", StandardScaler()), ("net", classifier(units=32))])
    assert pipeline.get_params()["net__units"] == 32
    pipeline.fit(pixels, labels)
    assert pipeline.score(pixels, labels) > 0.9


@pytest.mark.parametrize("names", [np.array(list("abcdefghij")), np.arange(10) + 5])
def test_any_class_labels_round_trip_through_predict(x, y, names):
    labels = names[y]
    model = classifier().fit(x, labels)
    np.testing.assert_array_equal(model.classes_, names)
    predicted = model.predict(x)
    assert predicted.dtype == labels.dtype and set(predicted) <= set(names)
    assert np.mean(predicted == labels) > 0.9


def test_predict_proba_gives_rows_of_probabilities_in_class_order(fitted, x, y):
    probabilities = fitted.predict_proba(x)
    assert probabilities.shape == (len(x), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(x), probabilities.argmax(axis=1))
    assert fitted.score(x, y) > 0.9


def test_one_sigmoid_output_gives_two_probability_columns(x, y):
    labels = np.where(y < 5, "small", "large")
    model = KerasClassifier(build_sigmoid_network, epochs=EPOCHS, seed=SEED).fit(x, labels)
    probabilities = model.predict_proba(x)
    assert probabilities.shape == (len(x), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(probabilities[:, 1], model.model_.predict(x)[:, 0], rtol=1e-6)
    assert list(model.classes_) == ["large", "small"] and model.score(x, labels) > 0.85


def test_a_one_hot_loss_is_trained_on_one_hot_rows(x, y):
    model = KerasClassifier(build_one_hot_mlp, epochs=EPOCHS, seed=SEED).fit(x, y)
    assert model.score(x, y) > 0.9


def test_build_fn_gets_the_data_sizes_it_names_and_the_build_parameters(x, y):
    received = []

    def build(units, n_classes_):
        received.append((units, n_classes_))
        return build_mlp(units=units, n_classes_=n_classes_)

    model = KerasClassifier(build, epochs=1, units=4).fit(x, y)
    assert received == [(4, 10)]
    assert model.n_features_in_ == 64 and model.n_classes_ == 10


def test_params_include_build_parameters_and_set_params_changes_them():
    model = classifier(units=16)
    assert model.get_params()["units"] == 16 and model.get_params()["epochs"] == EPOCHS
    assert model.set_params(units=64, epochs=3) is model
    assert (model.units, model.epochs) == (64, 3)
    assert "units=64" in repr(model)


def test_validation_split_reaches_fit(x, y):
    model = classifier(epochs=2, validation_split=0.2).fit(x, y)
    assert len(model.history_["val_accuracy"]) == 2


def test_the_same_seed_fits_the_same_model(fitted, x, y):
    again = classifier().fit(x, y)
    assert again.history_ == fitted.history_
    np.testing.assert_array_equal(again.predict_proba(x), fitted.predict_proba(x))


def test_a_clone_is_unfitted_with_the_same_parameters_and_refits_identically(fitted, x, y):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "model_")
    np.testing.assert_array_equal(copy.fit(x, y).predict_proba(x), fitted.predict_proba(x))


def test_a_pickled_fitted_model_predicts_identically_and_trains_on_from_the_same_state(x, y):
    model = classifier(epochs=2).fit(x, y)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.model_ is not model.model_ and restored.history_ == model.history_
    np.testing.assert_array_equal(restored.predict_proba(x), model.predict_proba(x))
    for copy in (model, restored):
        set_random_seed(SEED)
        copy.model_.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(restored.predict_proba(x), model.predict_proba(x))


def test_an_unfitted_wrapper_pickles_and_refuses_to_predict(x):
    restored = pickle.loads(pickle.dumps(classifier(units=8)))
    assert restored.get_params()["units"] == 8
    with pytest.raises(NotFittedError):
        restored.predict(x)


@pytest.mark.parametrize("build_fn, message", [
    (build_uncompiled, "KerasClassifier.fit: build_fn returned the model .* uncompiled"),
    (build_nothing, "KerasClassifier.fit: build_fn must return a dlcore model"),
    (None, "KerasClassifier.fit: build_fn must be a function .* got None"),
])
def test_fit_needs_a_function_returning_a_compiled_model(x, y, build_fn, message):
    with pytest.raises((TypeError, ValueError), match=message):
        KerasClassifier(build_fn, epochs=1).fit(x, y)


def test_the_output_width_must_match_the_classes(x, y):
    with pytest.raises(ValueError, match="gives 10 outputs per sample, but y holds 3 classes"):
        KerasClassifier(build_logits_network, epochs=1).fit(x, y % 3)


def test_one_class_is_not_enough(x):
    with pytest.raises(ValueError, match="y holds only one class .* at least 2 classes"):
        classifier().fit(x, np.zeros(len(x)))


def test_outputs_that_are_not_probabilities_are_refused(x, y):
    model = KerasClassifier(build_logits_network, epochs=1, seed=SEED).fit(x, y)
    with pytest.raises(ValueError, match="outputs are not probabilities .* activation='softmax'"):
        model.predict(x)


def test_unknown_parameters_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['width'\].*"
                                         r"KerasClassifier\(build_fn, width=...\)"):
        classifier().set_params(width=3)


def test_build_parameters_may_not_shadow_methods_or_fitted_attributes():
    with pytest.raises(TypeError, match=r"\['classes_', 'predict'\] clash"):
        KerasClassifier(build_mlp, predict=1, classes_=2)
