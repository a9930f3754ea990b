"""How fast ImageDataGenerator augments, and what compiling its warp kernel costs.

Run from the repository root:  python -m benchmarks.augmentation

Workload: 10,000 single-channel 28x28 images (MNIST-sized) with rotation 15, shifts 0.1,
zoom 0.1 and both flips, bilinear interpolation.

1. the first batch in a fresh process, once with an empty numba cache (compiling the
   kernel) and once more with the cache that run left (loading it);
2. in this process, warm: the median time of one epoch read through ``flow`` (batches of
   32 and of 256: drawing, building matrices, warping, rescaling) and of the warp kernel
   alone on all 10,000 images in one call, as images per second and seconds per 10,000.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks._timing import median_seconds
from dlcore.kernels.augment import affine_warp
from dlcore.preprocessing import ImageDataGenerator

IMAGES = 10_000


def workload() -> tuple[ImageDataGenerator, np.ndarray]:
    generator = ImageDataGenerator(rotation_range=15, width_shift_range=0.1,
                                   height_shift_range=0.1, zoom_range=0.1,
                                   horizontal_flip=True, vertical_flip=True, rescale=1 / 255)
    images = np.random.default_rng(0).integers(0, 256, (IMAGES, 28, 28, 1), dtype=np.uint8)
    return generator, images


def first_batch_seconds() -> float:
    """Seconds for the first batch of a flow in this process (kernel compile or load included)."""
    generator, images = workload()
    flow = generator.flow(images, batch_size=32, seed=0)
    start = time.perf_counter()
    flow[0]
    return time.perf_counter() - start


def run_child(cache_dir: str) -> float:
    environment = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    output = subprocess.run([sys.executable, "-m", "benchmarks.augmentation", "--first-batch"],
                            env=environment, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def epoch_seconds(batch_size: int) -> float:
    generator, images = workload()
    flow = generator.flow(images, batch_size=batch_size, seed=0)

    def epoch() -> None:
        for index in range(len(flow)):
            flow[index]
        flow.on_epoch_end()

    return median_seconds(epoch, min_seconds=2.0, rounds=5)


def kernel_seconds() -> float:
    generator, images = workload()
    floats = images.astype(np.float32)
    matrices = generator.random_matrices(IMAGES, 28, 28, np.random.default_rng(0))
    return median_seconds(lambda: affine_warp(floats, matrices), min_seconds=1.0, rounds=5)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        compiling = run_child(cache_dir)
        loading = run_child(cache_dir)
    print("first batch in a fresh process (numba start-up included; the warp kernel compiles "
          "on its first call and is cached on disk):")
    print(f"  empty numba cache: {compiling:.2f} s   warm cache: {loading:.3f} s")
    print(f"\nwarm, {IMAGES:,} images of 28x28x1, rotation 15, shifts 0.1, zoom 0.1, flips:")
    print(f"{'case':<34}{'images/s':>12}{'s per 10,000':>15}")
    rows = [("flow epoch, batch_size=32", epoch_seconds(32)),
            ("flow epoch, batch_size=256", epoch_seconds(256)),
            ("warp kernel alone, one call", kernel_seconds())]
    for name, seconds in rows:
        print(f"{name:<34}{IMAGES / seconds:>12,.0f}{seconds * 10_000 / IMAGES:>15.3f}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--first-batch"]:
        print(json.dumps(first_batch_seconds()))
    else:
        main()
