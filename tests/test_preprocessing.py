"""dlcore.preprocessing: the affine warp kernel against exact expectations and its numpy
reference, the transform matrices, ImageDataGenerator (order of steps, statistics after
rescale, seeding, batches, validation), flow inside fit, and standardize."""

import numpy as np
import pytest

from dlcore import preprocessing, utils
from dlcore.datasets import load_digits
from dlcore.kernels.augment import FILL_MODES, affine_warp, affine_warp_reference
from dlcore.layers import Dense, Flatten
from dlcore.models import Sequential
from dlcore.preprocessing import ImageDataGenerator, standardize
from dlcore.preprocessing.affine import inverse_affine_matrices

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def ramp(height=5, width=6, channels=2, dtype=np.float32):
    """Images whose pixel value says where it sits: 10 * row + col (+ 100 * channel)."""
    rows, cols, channel = np.meshgrid(np.arange(height), np.arange(width), np.arange(channels),
                                      indexing="ij")
    return (10 * rows + cols + 100 * channel)[None].astype(dtype)


def warp(image, matrix, **options):
    return affine_warp(image, np.asarray(matrix, np.float64)[None], **options)


# ----- the warp kernel ------------------------------------------------------------------------


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_the_identity_leaves_the_image_unchanged(fill_mode, interpolation):
    image = ramp()
    out = warp(image, IDENTITY, fill_mode=fill_mode, interpolation=interpolation)
    np.testing.assert_array_equal(out, image)
    assert out.dtype == image.dtype and out is not image


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_a_one_pixel_shift_moves_every_pixel_by_one(interpolation):
    image = ramp()
    reads_left = [[1, 0, 0], [0, 1, -1]]  # output (r, c) reads input (r, c - 1)
    out = warp(image, reads_left, fill_mode="constant", cval=-7, interpolation=interpolation)
    np.testing.assert_array_equal(out[:, :, 1:], image[:, :, :-1])
    np.testing.assert_array_equal(out[:, :, 0], -7)
    reads_up = [[1, 0, -1], [0, 1, 0]]
    out = warp(image, reads_up, interpolation=interpolation)
    np.testing.assert_array_equal(out[:, 1:], image[:, :-1])
    np.testing.assert_array_equal(out[:, 0], image[:, 0])  # 'nearest' repeats the edge


def test_a_horizontal_flip_reverses_the_columns():
    image = ramp(width=7)
    mirrored = [[1, 0, 0], [0, -1, 6]]  # column c reads column 6 - c
    np.testing.assert_array_equal(warp(image, mirrored), image[:, :, ::-1])


def test_zooming_out_twice_keeps_every_second_pixel():
    image = ramp(height=8, width=8)
    out = warp(image, [[2, 0, 0], [0, 2, 0]], fill_mode="constant", cval=-1)
    np.testing.assert_array_equal(out[:, :4, :4], image[:, ::2, ::2])
    np.testing.assert_array_equal(out[:, 4:], -1)
    np.testing.assert_array_equal(out[:, :, 4:], -1)


def test_zooming_in_twice_interpolates_between_pixels():
    image = ramp(height=8, width=8, dtype=np.float64)
    out = warp(image, [[0.5, 0, 0], [0, 0.5, 0]])
    rows, cols = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    np.testing.assert_allclose(out[0, ..., 0], 10 * rows / 2 + cols / 2)  # bilinear is exact
    nearest = warp(image, [[0.5, 0, 0], [0, 0.5, 0]], interpolation="nearest")
    halves = np.floor(np.arange(8) / 2 + 0.5).astype(int)
    np.testing.assert_array_equal(nearest, image[:, halves][:, :, halves])


@pytest.mark.parametrize("fill_mode, expected", [
    ("nearest", [0, 0, 0, 0]),
    ("constant", [9, 9, 9, 0]),
    ("reflect", [2, 1, 0, 0]),
    ("wrap", [1, 2, 3, 0]),
])
def test_fill_modes_at_the_border(fill_mode, expected):
    row = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)  # pixels a b c d = 0 1 2 3
    reads_three_left = [[1, 0, 0], [0, 1, -3]]
    out = warp(row, reads_three_left, fill_mode=fill_mode, cval=9, interpolation="nearest")
    np.testing.assert_array_equal(out.reshape(-1), expected)


def test_bilinear_mixes_the_border_with_cval():
    row = np.full((1, 1, 4, 1), 8.0)
    out = warp(row, [[1, 0, 0], [0, 1, -0.25]], fill_mode="constant", cval=0.0)
    np.testing.assert_allclose(out.reshape(-1), [6.0, 8.0, 8.0, 8.0])


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_kernel_equals_the_numpy_reference(dtype, fill_mode, interpolation):
    rng = np.random.default_rng(3)
    images = rng.normal(size=(6, 9, 7, 3)).astype(dtype)
    matrices = IDENTITY + rng.normal(0, 0.4, (6, 2, 3)) * [1, 1, 8]
    options = {"fill_mode": fill_mode, "cval": 0.5, "interpolation": interpolation}
    out = affine_warp(images, matrices, **options)
    expected = affine_warp_reference(images, matrices, **options)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6 if dtype == np.float32 else 1e-13)


def test_the_kernel_refuses_bad_arguments():
    images = np.zeros((2, 4, 4, 1), np.float32)
    matrices = np.stack([IDENTITY, IDENTITY])
    with pytest.raises(TypeError, match="float32 or float64 images, got uint8"):
        affine_warp(images.astype(np.uint8), matrices)
    with pytest.raises(ValueError, match=r"shape \(N, H, W, C\), got shape \(2, 4, 4\)"):
        affine_warp(images[..., 0], matrices)
    with pytest.raises(ValueError, match=r"shape \(2, 2, 3\), got shape \(1, 2, 3\)"):
        affine_warp(images, matrices[:1])
    with pytest.raises(ValueError, match="NaN or infinite"):
        affine_warp(images, matrices * np.nan)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        affine_warp(images, matrices, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        affine_warp(images, matrices, interpolation="cubic")
    with pytest.raises(ValueError, match="cval must be a finite number"):
        affine_warp(images, matrices, cval=np.inf)
    with pytest.raises(ValueError, match="cval must be a finite number, got 'a'"):
        affine_warp(images, matrices, cval="a")


# ----- the transform matrices -----------------------------------------------------------------


def matrices_for(angle=0.0, shift=(0, 0), zoom=(1, 1), flip=(False, False), size=(5, 5)):
    return inverse_affine_matrices(np.array([angle]), np.array([shift]), np.array([zoom]),
                                   np.array([flip]), *size)


def test_no_transform_gives_the_identity_matrix():
    np.testing.assert_allclose(matrices_for()[0], IDENTITY, atol=1e-12)


def test_a_quarter_turn_moves_the_right_edge_to_the_top():
    image = np.zeros((1, 5, 5, 1))
    image[0, 2, 4] = 1  # right of the centre
    out = affine_warp(image, matrices_for(angle=np.pi / 2), interpolation="nearest",
                      fill_mode="constant")
    assert out[0, 0, 2, 0] == 1 and out.sum() == 1  # above the centre: counter-clockwise


def test_shift_flip_and_zoom_matrices_move_the_content_as_documented():
    image = ramp(height=5, width=5, channels=1, dtype=np.float64)
    moved = affine_warp(image, matrices_for(shift=(1, 2)), fill_mode="constant", cval=-1)
    np.testing.assert_array_equal(moved[:, 1:, 2:], image[:, :-1, :-2])  # down 1, right 2
    flipped = affine_warp(image, matrices_for(flip=(True, True)))
    np.testing.assert_array_equal(flipped, image[:, ::-1, ::-1])
    zoomed = affine_warp(image, matrices_for(zoom=(0.5, 0.5)))
    np.testing.assert_allclose(zoomed[0, 2, 2], image[0, 2, 2])  # the centre stays
    np.testing.assert_allclose(zoomed[0, 0, 0, 0], 10 * 1 + 1)  # (0, 0) reads (1, 1)


# ----- ImageDataGenerator: random transforms ----------------------------------------------------


def test_drawn_transforms_stay_in_their_ranges():
    generator = ImageDataGenerator(rotation_range=15, width_shift_range=0.1,
                                   height_shift_range=3, zoom_range=0.2)
    rng = np.random.default_rng(0)
    rotations = ImageDataGenerator(rotation_range=15).random_matrices(2000, 28, 28, rng)
    angles = np.degrees(np.arctan2(rotations[:, 0, 1], rotations[:, 0, 0]))
    assert -15 <= angles.min() < -14 and 14 < angles.max() <= 15
    shifts = ImageDataGenerator(width_shift_range=0.1, height_shift_range=3).random_matrices(
        2000, 28, 20, rng)[:, :, 2]  # offsets = -shift without rotation or zoom
    assert set(np.unique(shifts[:, 0])) == {-3, -2, -1, 0, 1, 2, 3}  # an int: whole pixels
    assert -2 <= shifts[:, 1].min() < -1.9 and 1.9 < shifts[:, 1].max() <= 2  # 10% of 20
    zooms = ImageDataGenerator(zoom_range=0.2).random_matrices(2000, 8, 8, rng)
    rows, cols = zooms[:, 0, 0], zooms[:, 1, 1]
    assert 0.8 <= min(rows.min(), cols.min()) and max(rows.max(), cols.max()) <= 1.2
    assert abs(np.corrcoef(rows, cols)[0, 1]) < 0.1  # rows and columns drawn separately
    assert generator.random_matrices(3, 8, 8, rng).shape == (3, 2, 3)


def test_flips_happen_half_of_the_time():
    rng = np.random.default_rng(1)
    matrices = ImageDataGenerator(horizontal_flip=True).random_matrices(4000, 8, 8, rng)
    assert np.all(matrices[:, 0, 0] == 1)  # rows never flipped
    assert abs(np.mean(matrices[:, 1, 1] == -1) - 0.5) < 0.03
    images = np.random.default_rng(2).random((50, 6, 6, 1)).astype(np.float32)
    batch = ImageDataGenerator(vertical_flip=True).transform_batch(images, rng)
    same = np.all(batch == images, axis=(1, 2, 3))
    mirrored = np.all(batch == images[:, ::-1], axis=(1, 2, 3))
    assert np.all(same ^ mirrored) and 0 < same.sum() < 50


def test_random_transform_with_a_seed_repeats_and_keeps_the_shape():
    generator = ImageDataGenerator(rotation_range=30, zoom_range=0.2)
    image = np.random.default_rng(0).random((8, 8, 3))
    first = generator.random_transform(image, seed=5)
    np.testing.assert_array_equal(generator.random_transform(image, seed=5), first)
    assert first.shape == (8, 8, 3) and first.dtype == np.float32
    assert not np.allclose(generator.random_transform(image, seed=6), first)
    assert generator.random_transform(image[..., 0]).shape == (8, 8)
    unchanged = ImageDataGenerator().random_transform(image)
    np.testing.assert_array_equal(unchanged, image.astype(np.float32))


# ----- ImageDataGenerator: rescale and statistics ----------------------------------------------


def test_fit_statistics_are_taken_after_rescale():
    x = np.random.default_rng(0).integers(0, 256, (40, 6, 6, 3)).astype(np.uint8)
    generator = ImageDataGenerator(rescale=1 / 255, featurewise_center=True,
                                   featurewise_std_normalization=True)
    generator.fit(x)
    scaled = x / 255
    np.testing.assert_allclose(generator.mean, scaled.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(generator.std, scaled.std(axis=(0, 1, 2)), rtol=1e-5)
    flow = generator.flow(x, batch_size=16, shuffle=False)
    out = np.concatenate([flow[i] for i in range(len(flow))])
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-5)
    expected = (scaled - scaled.mean(axis=(0, 1, 2))) / scaled.std(axis=(0, 1, 2))
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_standardize_rescales_then_centres_then_divides():
    generator = ImageDataGenerator(rescale=0.5, featurewise_center=True)
    generator.fit(np.full((2, 3, 3, 1), 4.0))  # rescaled: all 2, std 0 -> 1
    np.testing.assert_array_equal(generator.mean, [2.0])
    np.testing.assert_array_equal(generator.std, [1.0])
    np.testing.assert_allclose(generator.standardize(np.full((3, 3, 1), 10.0)), 3.0)
    only_std = ImageDataGenerator(featurewise_std_normalization=True)
    only_std.fit(np.array([0.0, 4.0]).reshape(2, 1, 1, 1))  # mean 2, std 2
    np.testing.assert_allclose(only_std.standardize(np.full((1, 1, 1), 3.0)), 1.5)  # 3 / 2
    batch = np.ones((2, 3, 3, 1))
    out = ImageDataGenerator(rescale=2).standardize(batch)
    np.testing.assert_array_equal(out, 2.0)
    np.testing.assert_array_equal(batch, 1.0)  # not changed in place


def test_featurewise_options_without_fit_raise():
    x = np.zeros((4, 5, 5, 1))
    for option in ("featurewise_center", "featurewise_std_normalization"):
        generator = ImageDataGenerator(**{option: True})
        with pytest.raises(ValueError, match=r"call generator.fit\(x_train\) first"):
            generator.flow(x)
        with pytest.raises(ValueError, match="fit"):
            generator.standardize(x)
    generator = ImageDataGenerator(featurewise_center=True)
    generator.fit(np.random.default_rng(0).random((4, 5, 5, 3)))
    with pytest.raises(ValueError, match="the images have 1 channels, but .fit saw 3"):
        generator.flow(x)


def test_grayscale_images_without_a_channel_axis_keep_their_shape():
    x = np.random.default_rng(0).random((10, 8, 8))
    generator = ImageDataGenerator(rotation_range=10, featurewise_center=True)
    generator.fit(x)
    assert generator.mean.shape == (1,)
    x_batch, _ = generator.flow(x, np.arange(10), batch_size=4)[0]
    assert x_batch.shape == (4, 8, 8)


# ----- ImageDataGenerator.flow ---------------------------------------------------------------


def digits_generator():
    return ImageDataGenerator(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1,
                              zoom_range=0.1, horizontal_flip=True, rescale=1 / 16)


def test_flow_length_and_the_smaller_last_batch():
    x, y = np.zeros((10, 4, 4, 1)), np.arange(10)
    flow = ImageDataGenerator().flow(x, y, batch_size=4)
    assert isinstance(flow, utils.Sequence) and len(flow) == 3
    assert [len(flow[i][0]) for i in range(3)] == [4, 4, 2]
    assert [len(flow[i][1]) for i in range(3)] == [4, 4, 2]
    with pytest.raises(IndexError, match="batch index 3 is out of range; there are 3 batches"):
        flow[3]
    with pytest.raises(TypeError, match="batch index must be an int"):
        flow[0.5]


def test_flow_gives_x_alone_or_with_targets_and_weights():
    x, y, w = np.zeros((6, 4, 4, 1)), np.arange(6), np.linspace(0, 1, 6)
    generator = ImageDataGenerator()
    assert generator.flow(x, batch_size=3)[0].shape == (3, 4, 4, 1)
    x_batch, y_batch, w_batch = generator.flow(x, y, batch_size=3, shuffle=False,
                                               sample_weight=w)[1]
    np.testing.assert_array_equal(y_batch, [3, 4, 5])
    np.testing.assert_array_equal(w_batch, w[3:])
    assert x_batch.dtype == np.float32


def test_flow_without_shuffle_or_transforms_returns_the_data_in_order():
    x = np.random.default_rng(0).random((7, 3, 3, 2))
    flow = ImageDataGenerator(dtype="float64").flow(x, np.arange(7), batch_size=3, shuffle=False)
    for _ in range(2):
        np.testing.assert_array_equal(np.concatenate([flow[i][0] for i in range(3)]), x)
        np.testing.assert_array_equal(np.concatenate([flow[i][1] for i in range(3)]),
                                      np.arange(7))
        flow.on_epoch_end()


def test_a_seeded_flow_repeats_and_changes_across_epochs():
    (x, y), _ = load_digits()
    x, y = x[:100], y[:100]
    first, second = (digits_generator().flow(x, y, batch_size=32, seed=3) for _ in range(2))
    backwards = [second[i] for i in reversed(range(len(second)))][::-1]  # any reading order
    for (x1, y1), (x2, y2) in zip([first[i] for i in range(len(first))], backwards,
                                  strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    epoch_one = first[0]
    first.on_epoch_end()
    epoch_two = first[0]
    assert not np.array_equal(epoch_one[1], epoch_two[1])  # another sample order
    assert not np.array_equal(epoch_one[0], epoch_two[0])
    other_seed = digits_generator().flow(x, y, batch_size=32, seed=4)[0]
    assert not np.array_equal(other_seed[0], epoch_one[0])


def test_without_a_seed_flow_follows_set_random_seed():
    x = np.random.default_rng(0).random((20, 6, 6, 1))
    batches = []
    for _ in range(2):
        utils.set_random_seed(11)
        batches.append(digits_generator().flow(x, batch_size=8)[1])
    np.testing.assert_array_equal(*batches)


def test_iterating_a_flow_goes_on_through_the_epochs():
    x = np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1)
    flow = ImageDataGenerator().flow(x, batch_size=2, shuffle=False)
    sizes = [len(next(flow)) for _ in range(7)]
    assert sizes == [2, 2, 1, 2, 2, 1, 2] and flow.epoch == 2


def test_fit_trains_on_augmented_digits():
    utils.set_random_seed(0)
    (x, y), _ = load_digits()
    x = x.reshape(-1, 8, 8, 1)
    model = Sequential([Flatten(input_shape=(8, 8, 1)), Dense(32, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    generator = ImageDataGenerator(rotation_range=10, width_shift_range=0.1, zoom_range=0.1,
                                   rescale=1 / 16)
    history = model.fit(generator.flow(x, y, batch_size=32), epochs=2, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 2 and losses[1] < losses[0] - 0.1
    accuracy = history.history["accuracy"]
    assert accuracy[1] > accuracy[0] and accuracy[1] > 0.2  # chance: 0.1


# ----- argument checks ------------------------------------------------------------------------


@pytest.mark.parametrize("options, error, message", [
    ({"rotation_range": -5}, ValueError, "rotation_range must be >= 0"),
    ({"width_shift_range": -0.1}, ValueError, "width_shift_range must be >= 0"),
    ({"height_shift_range": "a"}, TypeError, "height_shift_range must be a number"),
    ({"zoom_range": 1.5}, ValueError, "a float z needs 0 <= z < 1"),
    ({"zoom_range": (1.2, 0.8)}, ValueError, "low <= high"),
    ({"zoom_range": (0.5, 1.0, 2.0)}, ValueError, r"a pair \(low, high\)"),
    ({"rescale": 0}, ValueError, "rescale=None for no rescaling"),
    ({"rescale": np.nan}, ValueError, "rescale must be finite"),
    ({"fill_mode": "mirror"}, ValueError, "fill_mode must be one of"),
    ({"interpolation": "cubic"}, ValueError, "interpolation must be one of"),
    ({"horizontal_flip": 1}, TypeError, "horizontal_flip must be True or False"),
    ({"dtype": "int32"}, ValueError, "dtype must be 'float32' or 'float64'"),
])
def test_the_generator_refuses_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        ImageDataGenerator(**options)


def test_flow_fit_and_random_transform_refuse_bad_input():
    generator = ImageDataGenerator()
    x = np.zeros((6, 4, 4, 1))
    with pytest.raises(ValueError, match=r"\(n, rows, cols, channels\).*shape \(6, 16\)"):
        generator.flow(x.reshape(6, 16))
    with pytest.raises(ValueError, match=r"x holds 6 images but y has shape \(5,\)"):
        generator.flow(x, np.arange(5))
    with pytest.raises(ValueError, match=r"one weight per image, shape \(6,\), got shape \(6, 2\)"):
        generator.flow(x, np.arange(6), sample_weight=np.ones((6, 2)))
    with pytest.raises(ValueError, match="sample_weight needs targets y"):
        generator.flow(x, sample_weight=np.ones(6))
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        generator.flow(x, batch_size=0)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        generator.flow(x, seed=-1)
    with pytest.raises(ValueError, match="ImageDataGenerator.fit got NaN or infinite"):
        generator.fit(np.full((2, 3, 3, 1), np.nan))
    with pytest.raises(ValueError, match=r"ImageDataGenerator.fit needs images.*\(3, 3\)"):
        generator.fit(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"one image of shape.*\(6, 4, 4, 1\)"):
        generator.random_transform(x)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        generator.random_transform(x[0], seed=1.5)


# ----- standardize and the re-exports -----------------------------------------------------------


def test_standardize_gives_zero_mean_unit_std_and_reuses_the_statistics():
    rng = np.random.default_rng(0)
    x_train = rng.normal(3, 2, (200, 4)).astype(np.float32)
    x_test = rng.normal(3, 2, (50, 4)).astype(np.float32)
    scaled, mean, std = standardize(x_train)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-5)
    assert scaled.dtype == np.float32 and mean.shape == std.shape == (1, 4)
    test_scaled, test_mean, test_std = standardize(x_test, mean, std)
    np.testing.assert_allclose(test_scaled, (x_test - mean) / std, rtol=1e-5)
    np.testing.assert_array_equal(test_mean, mean)
    np.testing.assert_array_equal(test_std, std)


def test_standardize_leaves_constant_features_at_zero_instead_of_nan():
    x = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    scaled, mean, std = standardize(x)
    np.testing.assert_allclose(scaled[:, 1], 0)
    np.testing.assert_allclose(std, [[np.sqrt(8 / 3), 1.0]])
    _, _, std = standardize(np.full((4, 1), 0.1))  # rounding noise around zero
    np.testing.assert_array_equal(std, [[1.0]])


def test_standardize_over_other_axes_and_dtypes():
    images = np.random.default_rng(0).integers(0, 255, (10, 4, 4, 3))
    scaled, mean, _ = standardize(images, axis=(0, 1, 2))
    assert scaled.dtype == np.float32 and mean.shape == (1, 1, 1, 3)
    np.testing.assert_allclose(scaled.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    rows, _, _ = standardize(np.arange(6.0).reshape(2, 3), axis=-1)
    np.testing.assert_allclose(rows, [[-1.2247449, 0, 1.2247449]] * 2)


def test_standardize_refuses_bad_input():
    x = np.ones((5, 3))
    with pytest.raises(ValueError, match="give both mean and std"):
        standardize(x, mean=np.zeros(3))
    with pytest.raises(ValueError, match=r"mean of shape \(4,\) does not broadcast .* \(5, 3\)"):
        standardize(x, np.zeros(4), np.ones(3))
    with pytest.raises(ValueError, match="std must be >= 0"):
        standardize(x, np.zeros(3), -np.ones(3))
    with pytest.raises(ValueError, match=r"standardize \(mean\) got NaN"):
        standardize(x, np.full(3, np.nan), np.ones(3))
    with pytest.raises(ValueError, match="standardize got NaN or infinite"):
        standardize(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match=r"axis=2 does not name distinct axes .* 2 axes"):
        standardize(x, axis=2)
    with pytest.raises(TypeError, match="axis must be an int or a tuple of ints"):
        standardize(x, axis=0.5)
    with pytest.raises(TypeError, match="needs numbers"):
        standardize(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="empty array"):
        standardize(np.zeros((0, 3)))


def test_to_categorical_and_normalize_are_those_of_utils():
    assert preprocessing.to_categorical is utils.to_categorical
    assert preprocessing.normalize is utils.normalize
