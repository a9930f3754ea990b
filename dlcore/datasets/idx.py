"""Reading IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a header followed by the array's values, big-endian, in C order::

    bytes 0-1   0x00 0x00           the magic's two zero bytes
    byte  2     type code           0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                                    0x0D float32, 0x0E float64
    byte  3     ndim                the number of dimensions
    4 * ndim    dims                each a big-endian uint32
    the rest    the values          exactly prod(dims) * itemsize bytes

A file may also be gzip-compressed; ``read_idx`` recognises that from the file's first
bytes (gzip's magic ``0x1f 0x8b``), whatever its name.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAGIC_SIZE = 4
DIM_SIZE = 4


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file at ``path`` (raw or gzip-compressed).

    The result has the shape the header declares and the header's type in native byte
    order (MNIST's images come back as uint8 ``(n, 28, 28)``, its labels as uint8 ``(n,)``).
    A file that is not IDX, or holds fewer or more bytes than its header declares, raises
    a ValueError naming the file.
    """
    path = Path(path)
    content = path.read_bytes()
    where = str(path)
    if content[:2] == GZIP_MAGIC:
        content = _gunzip(content, where)
        where += " (after gunzip)"
    dtype, dims = _header(content, where)
    header_size = MAGIC_SIZE + DIM_SIZE * len(dims)
    expected = header_size + math.prod(dims) * dtype.itemsize
    if len(content) != expected:
        problem = "is truncated" if len(content) < expected else "has trailing bytes"
        raise ValueError(
            f"read_idx: {where} {problem}: its header declares an array of shape {dims} of "
            f"{dtype.name}, which needs {expected} bytes ({header_size} header + "
            f"{expected - header_size} data), but the file holds {len(content)} bytes. "
            "Obtain the file again (an interrupted download or a wrong file)."
        )
    values = np.frombuffer(content, dtype=dtype, offset=header_size)
    return values.reshape(dims).astype(dtype.newbyteorder("="))


def _gunzip(content: bytes, where: str) -> bytes:
    """The decompressed ``content`` of a gzip file; a broken one raises a ValueError."""
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"read_idx: {where} starts like a gzip file but cannot be "
                         f"decompressed ({error}); obtain the file again") from error


def _header(content: bytes, where: str) -> tuple[np.dtype, tuple[int, ...]]:
    """``(dtype, dims)`` from the magic and dimensions at the start of ``content``."""
    if len(content) < MAGIC_SIZE:
        raise ValueError(f"read_idx: {where} holds {len(content)} bytes, fewer than the "
                         f"{MAGIC_SIZE} of an IDX magic number; obtain the file again")
    zeros, type_code, ndim = content[:2], content[2], content[3]
    if zeros != b"\x00\x00":
        raise ValueError(f"read_idx: {where} is not an IDX file: it starts with bytes "
                         f"{zeros.hex(' ')}, expected 00 00 (check the file name)")
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X} ({dtype.name})" for code, dtype in IDX_TYPES.items())
        raise ValueError(f"read_idx: {where} has the unknown type code 0x{type_code:02X}; "
                         f"expected one of {known}")
    if ndim == 0:
        raise ValueError(f"read_idx: {where} declares 0 dimensions, expected at least 1")
    header_size = MAGIC_SIZE + DIM_SIZE * ndim
    if len(content) < header_size:
        raise ValueError(f"read_idx: {where} is truncated: it declares {ndim} dimensions, "
                         f"whose header needs {header_size} bytes, but the file holds "
                         f"{len(content)} bytes; obtain the file again")
    dims = struct.unpack(f">{ndim}I", content[MAGIC_SIZE:header_size])
    return IDX_TYPES[type_code], dims
