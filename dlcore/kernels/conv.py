"""2-D convolution over channels-last images: im2col + one matrix product, and numpy references.

Shapes: ``x`` is ``(N, H, W, C)``, ``kernel`` is ``(KH, KW, C, F)``, ``bias`` is ``(F,)`` and
the output ``y`` is ``(N, OH, OW, F)``. With strides ``(sh, sw)`` and ``pad_top``/``pad_left``
zeros added before the first row and column, output cell ``(i, j)`` looks at input row
``i*sh - pad_top + a`` and column ``j*sw - pad_left + b`` through kernel tap ``(a, b)``;
positions outside the image read zero. Like every deep-learning library, "convolution" here is
a cross-correlation (the kernel is not flipped)::

    y[n, i, j, f] = bias[f] + sum over a, b, c of x[n, i*sh - pt + a, j*sw - pl + b, c]
                                                   * kernel[a, b, c, f]

Backward, with ``g = dL/dy`` of shape ``(N, OH, OW, F)``::

    dL/dbias[f]         = sum over n, i, j of g[n, i, j, f]
    dL/dkernel[a,b,c,f] = sum over n, i, j of x[n, i*sh - pt + a, j*sw - pl + b, c] * g[n, i, j, f]
    dL/dx[n, h, w, c]   = sum over the (i, j, a, b) with i*sh - pt + a = h and j*sw - pl + b = w
                          of sum over f of g[n, i, j, f] * kernel[a, b, c, f]

The bias gradient is a column sum like a Dense layer's, ``activations.bias_relu_backward``
(together with the ReLU mask). im2col turns the other two into matrix products. The patch
matrix ``P`` has one row per output cell ``(n, i, j)`` (``M = N*OH*OW`` rows) and one column
per tap and channel ``(a, b, c)`` (``K = KH*KW*C`` columns, the order of
``kernel.reshape(K, F)``)::

    P[(n, i, j), (a, b, c)] = x[n, i*sh - pt + a, j*sw - pl + b, c]   (0 outside the image)

    Y  = P @ Kmat + bias           Y = y.reshape(M, F),   Kmat = kernel.reshape(K, F)
    dKmat = P.T @ G                G = g.reshape(M, F)
    dP = G @ Kmat.T,   dx = col2im(dP): each dP entry is added back where P's entry was read

The compiled loops only move numbers (gather into ``P``, scatter-add out of ``dP``); the
arithmetic is three BLAS matrix products. The images are first copied into a zero-bordered
buffer ``xp``, so every window lies inside it, and the loops copy contiguous runs, in one of
two orders:

- by output cell: for a fixed output cell and kernel row ``a``, the ``KW*C`` numbers
  ``xp[n, h, w0:w0+KW, :]`` are contiguous in a channels-last ``xp`` and in ``P``'s row;
- by tap: ``P`` is stored as its transpose ``P.T`` (one row per tap and channel), and for a
  fixed tap ``(a, b)``, channel ``c`` and output row ``(n, i)``, the ``OW`` numbers
  ``P.T[(a, b, c), (n, i, 0:OW)]`` are contiguous in ``P.T`` and (stride 1) in a
  channel-first ``xp[n, c, h, w]``. BLAS reads the transposed view ``P`` as it is.

The longer runs copy faster: by tap when ``OW > KW*C`` (one input channel, as in the first
layer of a network) and the column stride is 1, by output cell otherwise. With a larger
column stride a tap's numbers lie ``sw`` apart in the image, and gathering them was slower
than copying the short contiguous runs by cell (a 5x5 layer of 16 filters with stride 2 on
images of 32x32x3: forward and both gradients 3.1 ms by cell against 5.2 ms by tap).

Few filters: with ``F`` small (6 in LeNet's first layer) the products have few columns,
which BLAS runs far below its peak, and the copies into ``P`` dominate. Then each row of
``P`` serves ``g`` neighbouring output cells of one image row (``g`` divides ``OW``): the
window of ``g`` cells spans ``KW + (g-1)*sw`` columns, so this is the convolution with stride
``g*sw`` of a kernel that many columns wide, whose ``g*F`` filters hold the original
kernel at each of the ``g`` offsets and zeros elsewhere; its output ``(N, OH, OW/g, g*F)``
is ``y`` itself, read with a different shape. ``P`` gets shorter by ``g`` times more than it
gets wider, and the products ``g`` times wider, at the price of multiplying by the zeros
(a share ``(g-1)*sw / (KW + (g-1)*sw)`` of the work, kept under ``MAX_ZERO_SHARE``; an
infinite input then also turns the neighbouring outputs of its group into NaN, as
``0 * inf`` is NaN). The kernel gradient of the grouped kernel is summed back over the
offsets. LeNet's first layer (6 filters, 5x5) runs with ``g = 4``, its second (16 filters)
with ``g = 2``: forward, input gradient and kernel gradient each took 25-45% less time
than with ``g = 1`` (64 images).

Memory and speed: ``P`` is ``KH*KW*C`` times larger than ``x`` (14 MB for 64 images of
14x14x32 and a 3x3 kernel). Built whole, it falls out of the cache between the copy and the
product, and every call pays page faults for fresh memory. So the entry points walk the batch
in chunks of a few images: build ``P`` for the chunk into one reused buffer of about
``CHUNK_BYTES``, multiply, move on. The kernel gradient builds each chunk's ``P`` again
rather than keeping it from the forward pass: keeping means writing ``KH*KW`` times the
memory of ``x`` out of the cache and reading it back, which measured slower than the second
copy into a buffer that stays in the cache (a 32-64 filter CNN step: 5 to 10% slower).
"""

from __future__ import annotations

import numpy as np

from dlcore.kernels._jit import jit
from dlcore.kernels._memory import empty_aligned, zeros_aligned
from dlcore.kernels.activations import add_bias_relu

CHUNK_BYTES = 2**21  # size of the patch matrix built per step: a chunk that stays in the cache
GROUPED_FILTERS = 24  # output cells are grouped until a product has this many columns ...
MAX_ZERO_SHARE = 0.4  # ... as long as at most this share of the grouped kernel is zeros

# ----- compiled loops -----------------------------------------------------------------------


@jit
def _patch_walk(image_rows, channels, kernel_size, strides, out_size, patches, add_back):
    """Walk every (output cell, kernel row) pair of padded images ``image_rows`` (N, Hp, Wp*C).

    ``add_back=False`` copies each window row (``KW*C`` contiguous numbers) into its place in
    ``patches`` (im2col); ``add_back=True`` adds those numbers of ``patches`` back onto the
    image instead (col2im). The images are padded, so every window lies inside them.
    """
    kernel_h, kernel_w = kernel_size
    out_h, out_w = out_size
    block = kernel_w * channels
    step = strides[1] * channels
    for n in range(image_rows.shape[0]):
        for i in range(out_h):
            for a in range(kernel_h):
                line = image_rows[n, i * strides[0] + a]
                for j in range(out_w):
                    cells = line[j * step : j * step + block]
                    entries = patches[(n * out_h + i) * out_w + j, a * block : (a + 1) * block]
                    if add_back:
                        for t in range(block):
                            cells[t] += entries[t]
                    else:
                        for t in range(block):
                            entries[t] = cells[t]


@jit
def _tap_walk(planes, kernel_size, row_step, out_size, patches_t, add_back):
    """Walk every (kernel tap, channel, output row) of padded channel-first images ``planes``
    (N, C, Hp, Wp) against the transposed patch matrix ``patches_t`` (KH*KW*C, N*OH*OW),
    for a column stride of 1 (rows ``row_step`` apart).

    ``add_back=False`` copies each tap's view of an image row (``OW`` contiguous numbers)
    into its place in ``patches_t`` (im2col); ``add_back=True`` adds those numbers of
    ``patches_t`` back onto the images instead (col2im). The images are padded, so every
    window lies inside them.
    """
    kernel_h, kernel_w = kernel_size
    out_h, out_w = out_size
    images, channels = planes.shape[0], planes.shape[1]
    for a in range(kernel_h):
        for b in range(kernel_w):
            for c in range(channels):
                tap = (a * kernel_w + b) * channels + c
                for n in range(images):
                    for i in range(out_h):
                        first = (n * out_h + i) * out_w
                        image_row = planes[n, c, i * row_step + a, b : b + out_w]
                        entries = patches_t[tap, first : first + out_w]
                        if add_back:
                            for j in range(out_w):
                                image_row[j] += entries[j]
                        else:
                            for j in range(out_w):
                                entries[j] = image_row[j]


# ----- the patch matrix, one chunk of images at a time --------------------------------------


def _pad_widths(input_shape, kernel_size, strides, pads, out_size):
    """``((top, bottom), (left, right))``: the zeros that make room for every window.

    ``pads`` gives top and left; bottom/right is what the last window still needs,
    ``max((out - 1) * s + k - n - pad, 0)``.
    """
    sizes = zip(input_shape[1:3], kernel_size, strides, pads, out_size, strict=True)
    rows, cols = [(pad, max((out - 1) * s + k - n - pad, 0)) for n, k, s, pad, out in sizes]
    return rows, cols


def _product(a, b, out):
    """``out[...] = a @ b``, also when ``out`` is a transposed view (then ``out.T = b.T @ a.T``)."""
    if out.flags.c_contiguous:
        np.matmul(a, b, out=out)
    else:
        np.matmul(b.T, a.T, out=out.T)


class _PatchLayout:
    """Where everything sits: padding, padded image size, patch-matrix rows and columns.

    Each chunk of images is copied into a zero-bordered buffer first, so that every window
    lies inside it and the compiled walks need no edge tests. The walk copies runs of
    ``KW*C`` numbers per output cell (``_patch_walk``, images kept channels-last, ``P`` built
    row by row) or runs of ``OW`` numbers per tap (``_tap_walk``, images copied channel-first,
    ``P.T`` built row by row), whichever runs are longer: few channels favour the taps,
    as long as the column stride is 1 (see the module docstring).
    """

    def __init__(self, input_shape, kernel_size, strides, pads, out_size):
        self.kernel_size, self.strides, self.out_size = kernel_size, strides, out_size
        self.in_h, self.in_w, self.channels = input_shape[1:]
        (self.top, bottom), (self.left, right) = _pad_widths(
            input_shape, kernel_size, strides, pads, out_size
        )
        self.padded_h = self.in_h + self.top + bottom
        self.padded_w = self.in_w + self.left + right
        self.rows_per_image = out_size[0] * out_size[1]
        self.columns = kernel_size[0] * kernel_size[1] * self.channels
        self.by_tap = strides[1] == 1 and out_size[1] > kernel_size[1] * self.channels

    def chunks(self, n_batch, dtype, whole_batch=False):
        """``(images, rows)`` slice pairs that cover the batch with about ``CHUNK_BYTES`` of
        patch matrix each (or all of it in one), where ``rows`` index ``P``, ``y`` and ``g``."""
        per_image = max(self.rows_per_image * self.columns * np.dtype(dtype).itemsize, 1)
        per_chunk = n_batch if whole_batch else min(n_batch, CHUNK_BYTES // per_image)
        per_chunk = max(per_chunk, 1)
        chunks = []
        for start in range(0, n_batch, per_chunk):
            stop = min(start + per_chunk, n_batch)
            rows = slice(start * self.rows_per_image, stop * self.rows_per_image)
            chunks.append((slice(start, stop), rows))
        return chunks

    def plan(self, n_batch, dtype, whole_batch=False):
        """``(chunks, padded, patches)``: the ``chunks`` and scratch buffers for one chunk:
        zero-bordered images and a flat buffer for the patch matrix."""
        chunks = self.chunks(n_batch, dtype, whole_batch)
        per_chunk = chunks[0][0].stop if chunks else 1
        sizes = (self.padded_h, self.padded_w)
        shape = (self.channels, *sizes) if self.by_tap else (*sizes, self.channels)
        padded = zeros_aligned((per_chunk, *shape), dtype)
        patches = empty_aligned(per_chunk * self.rows_per_image * self.columns, dtype)
        return chunks, padded, patches

    def _interior(self, padded, count):
        """The real pixels of ``count`` images inside ``padded``, seen as (N, H, W, C)."""
        rows, cols = slice(self.top, self.top + self.in_h), slice(self.left, self.left + self.in_w)
        if self.by_tap:
            return padded[:count, :, rows, cols].transpose(0, 2, 3, 1)
        return padded[:count, rows, cols]

    def patch_matrix(self, patches, count):
        """``P`` of ``count`` images in the flat buffer ``patches`` (a transposed view by tap)."""
        flat = patches[: count * self.rows_per_image * self.columns]
        if self.by_tap:
            return flat.reshape(self.columns, -1).T
        return flat.reshape(-1, self.columns)

    def _walk(self, images, patch_matrix, add_back):
        if self.by_tap:
            _tap_walk(
                images, self.kernel_size, self.strides[0], self.out_size, patch_matrix.T, add_back
            )
        else:
            image_rows = images.reshape(images.shape[0], self.padded_h, -1)
            _patch_walk(
                image_rows,
                self.channels,
                self.kernel_size,
                self.strides,
                self.out_size,
                patch_matrix,
                add_back,
            )

    def fill_patches(self, x, padded, patches):
        """``P`` of the images ``x``, written into the start of the flat buffer ``patches``.

        Only the interior of ``padded`` is written, so its border stays zero between chunks.
        """
        count = x.shape[0]
        self._interior(padded, count)[...] = x
        patch_matrix = self.patch_matrix(patches, count)
        self._walk(padded[:count], patch_matrix, False)
        return patch_matrix

    def add_back(self, patch_matrix, padded, dx):
        """Overwrite the images ``dx`` with the col2im of ``patch_matrix`` (``padded`` is
        scratch)."""
        count = dx.shape[0]
        padded[:count].fill(0)
        self._walk(padded[:count], patch_matrix, True)
        dx[...] = self._interior(padded, count)


# ----- grouping neighbouring output cells -------------------------------------------------


class _Grouping:
    """The grouped convolution that computes ``groups`` neighbouring output cells of a row
    per row of ``P`` (see the module docstring); ``groups = 1`` is the convolution itself."""

    def __init__(self, kernel_shape, strides, out_size):
        kernel_w, filters = kernel_shape[1], kernel_shape[3]
        self.kernel_shape, self.col_step = tuple(kernel_shape), strides[1]
        self.groups = 1
        for groups in range(2, out_size[1] + 1):
            if self.groups * filters >= GROUPED_FILTERS:
                break
            zeros = (groups - 1) * self.col_step
            if zeros > MAX_ZERO_SHARE * (kernel_w + zeros):
                break
            if out_size[1] % groups == 0:
                self.groups = groups
        self.strides = (strides[0], self.groups * self.col_step)
        self.out_size = (out_size[0], out_size[1] // self.groups)
        self.width = kernel_w + (self.groups - 1) * self.col_step
        self.filters = self.groups * filters

    def layout(self, input_shape, pads):
        """The ``_PatchLayout`` of the grouped convolution of images of ``input_shape``."""
        kernel_size = (self.kernel_shape[0], self.width)
        return _PatchLayout(input_shape, kernel_size, self.strides, pads, self.out_size)

    def _columns(self, offset):
        """The columns of the grouped kernel that hold the kernel of group member ``offset``."""
        start = offset * self.col_step
        return slice(start, start + self.kernel_shape[1])

    def kernel(self, kernel):
        """``(KH, width, C, groups*F)``: offset ``m`` holds ``kernel`` in columns
        ``m*sw .. m*sw + KW - 1`` of filters ``m*F .. m*F + F - 1``, zeros elsewhere."""
        if self.groups == 1:
            return kernel
        kernel_h, _, channels, filters = kernel.shape
        grouped = np.zeros((kernel_h, self.width, channels, self.groups, filters), kernel.dtype)
        for m in range(self.groups):
            grouped[:, self._columns(m), :, m] = kernel
        return grouped.reshape(kernel_h, self.width, channels, -1)

    def bias(self, bias):
        return bias if bias is None or self.groups == 1 else np.tile(bias, self.groups)

    def kernel_gradient(self, grouped):
        """The gradient of ``kernel`` from that of the grouped kernel, given as the product
        ``P.T @ G`` (``KH*width*C`` rows, ``groups*F`` columns): the sum over offsets."""
        if self.groups == 1:
            return grouped.reshape(self.kernel_shape)
        kernel_h, _, channels, filters = self.kernel_shape
        offsets = grouped.reshape(kernel_h, self.width, channels, self.groups, filters)
        total = np.zeros(self.kernel_shape, grouped.dtype)
        for m in range(self.groups):
            total += offsets[:, self._columns(m), :, m]
        return total


# ----- entry points ---------------------------------------------------------------------------


def im2col(
    x: np.ndarray,
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
    out_size: tuple[int, int],
) -> np.ndarray:
    """The patch matrix ``P`` (N*OH*OW, KH*KW*C) of the whole batch ``x`` (N, H, W, C)."""
    layout = _PatchLayout(x.shape, kernel_size, strides, pads, out_size)
    _, padded, patches = layout.plan(x.shape[0], x.dtype, whole_batch=True)
    return layout.fill_patches(x, padded, patches)


def col2im(
    dpatches: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
    out_size: tuple[int, int],
) -> np.ndarray:
    """The adjoint of ``im2col``: each entry of ``dP`` added to the ``x`` position it came from."""
    layout = _PatchLayout(input_shape, kernel_size, strides, pads, out_size)
    dx = empty_aligned(input_shape, dpatches.dtype)
    _, padded, patches = layout.plan(input_shape[0], dx.dtype, whole_batch=True)
    patch_matrix = layout.patch_matrix(patches, input_shape[0])
    patch_matrix[...] = dpatches
    layout.add_back(patch_matrix, padded, dx)
    return dx


def conv2d_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    strides: tuple[int, int],
    pads: tuple[int, int],
    out_size: tuple[int, int],
    relu: bool = False,
) -> np.ndarray:
    """``y = P @ Kmat + bias``, shape (N, OH, OW, F), one chunk of images at a time (the bias
    is added to each chunk of ``y`` while it is still in the cache, and with ``relu=True``
    ``y = max(y, 0)`` is taken in the same pass).

    ``pads`` is ``(pad_top, pad_left)``; the bottom/right padding follows from ``out_size``.
    The inputs are brought to their common dtype (all float32 stays float32).
    """
    dtype = np.result_type(x, kernel, *([] if bias is None else [bias]))
    x = x.astype(dtype, copy=False)
    grouping = _Grouping(kernel.shape, strides, out_size)
    matrix = np.ascontiguousarray(grouping.kernel(kernel).reshape(-1, grouping.filters), dtype)
    layout = grouping.layout(x.shape, pads)
    chunks, padded, patches = layout.plan(x.shape[0], dtype)
    y = empty_aligned((x.shape[0] * layout.rows_per_image, grouping.filters), dtype)
    bias = grouping.bias(None if bias is None else bias.astype(dtype, copy=False))
    for images, rows in chunks:
        patch_matrix = layout.fill_patches(x[images], padded, patches)
        np.matmul(patch_matrix, matrix, out=y[rows])
        add_bias_relu(y[rows], bias, relu)
    return y.reshape(x.shape[0], *out_size, kernel.shape[3])


def conv2d_backward_input(
    g: np.ndarray,
    kernel: np.ndarray,
    input_shape: tuple[int, int, int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
) -> np.ndarray:
    """``dL/dx = col2im(G @ Kmat.T)``, shape ``input_shape``, one chunk of images at a time."""
    grouping = _Grouping(kernel.shape, strides, g.shape[1:3])
    grad_rows = np.ascontiguousarray(g).reshape(-1, grouping.filters)
    matrix = np.ascontiguousarray(grouping.kernel(kernel).reshape(-1, grouping.filters), g.dtype)
    layout = grouping.layout(input_shape, pads)
    chunks, padded, patches = layout.plan(g.shape[0], g.dtype)
    dx = empty_aligned(input_shape, g.dtype)
    for images, rows in chunks:
        dpatches = layout.patch_matrix(patches, images.stop - images.start)
        _product(grad_rows[rows], matrix.T, dpatches)
        layout.add_back(dpatches, padded, dx[images])
    return dx


def conv2d_backward_kernel(
    g: np.ndarray,
    x: np.ndarray,
    kernel_shape: tuple[int, int, int, int],
    strides: tuple[int, int],
    pads: tuple[int, int],
) -> np.ndarray:
    """``dL/dkernel = (P.T @ G).reshape(KH, KW, C, F)``, summed over chunks of images (each
    chunk's ``P`` built anew in one reused buffer), and over the offsets of grouped cells."""
    x = x.astype(g.dtype, copy=False)
    grouping = _Grouping(kernel_shape, strides, g.shape[1:3])
    grad_rows = np.ascontiguousarray(g).reshape(-1, grouping.filters)
    layout = grouping.layout(x.shape, pads)
    chunks, padded, patches = layout.plan(x.shape[0], g.dtype)
    total = np.zeros((layout.columns, grouping.filters), g.dtype)
    part = np.empty_like(total)
    for images, rows in chunks:
        patch_matrix = layout.fill_patches(x[images], padded, patches)
        np.matmul(patch_matrix.T, grad_rows[rows], out=part)
        total += part
    return grouping.kernel_gradient(total)


# ----- numpy references -----------------------------------------------------------------------


def _taps(kernel_size, strides, out_size):
    """``(a, b, window)`` per kernel tap; ``window`` indexes what tap ``(a, b)`` sees.

    For all output cells at once, tap ``(a, b)`` sees the strided slice
    ``xp[:, a : a + sh*OH : sh, b : b + sw*OW : sw, :]`` of the padded input ``xp``.
    """
    (sh, sw), (oh, ow) = strides, out_size
    for a in range(kernel_size[0]):
        for b in range(kernel_size[1]):
            rows, cols = slice(a, a + sh * oh, sh), slice(b, b + sw * ow, sw)
            yield a, b, (slice(None), rows, cols, slice(None))


def conv2d_forward_reference(x, kernel, bias, strides, pads, out_size):
    """``y`` by the definition, one kernel tap at a time: ``y += x_window(a, b) @ kernel[a, b]``."""
    kernel_size = kernel.shape[:2]
    rows, cols = _pad_widths(x.shape, kernel_size, strides, pads, out_size)
    xp = np.pad(x, ((0, 0), rows, cols, (0, 0)))
    y = np.zeros((x.shape[0], *out_size, kernel.shape[3]), np.result_type(x, kernel))
    for a, b, window in _taps(kernel_size, strides, out_size):
        y += xp[window] @ kernel[a, b]
    if bias is not None:
        y += bias
    return y


def conv2d_backward_reference(g, x, kernel, strides, pads):
    """``(dx, dkernel, dbias)`` by the definition, one kernel tap at a time.

    ``dkernel[a, b] = x_window(a, b)^T g`` summed over (n, i, j);
    ``dx_window(a, b) += g @ kernel[a, b]^T``; ``dbias = g`` summed over (n, i, j).
    """
    kernel_size, out_size = kernel.shape[:2], g.shape[1:3]
    rows, cols = _pad_widths(x.shape, kernel_size, strides, pads, out_size)
    xp = np.pad(x, ((0, 0), rows, cols, (0, 0)))
    dxp = np.zeros_like(xp, dtype=g.dtype)
    dkernel = np.zeros(kernel.shape, g.dtype)
    for a, b, window in _taps(kernel_size, strides, out_size):
        dkernel[a, b] = np.einsum("nijc,nijf->cf", xp[window], g)
        dxp[window] += g @ kernel[a, b].T
    dx = dxp[:, rows[0] : rows[0] + x.shape[1], cols[0] : cols[0] + x.shape[2]]
    return dx, dkernel, g.sum(axis=(0, 1, 2))
