"""A numpy implementation of the generated code's Philox-4x32-10 streams.

Used by tests to check, number for number, what the C (and CUDA) code draws,
and by anyone who wants to reproduce a run's random input outside the engine.
"""

from __future__ import annotations

import zlib

import numpy as np

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)


def stream_id(group_name: str, field: str) -> int:
    """The stream of one code field of one group (stable across runs and backends)."""
    return zlib.crc32(f"{group_name}/{field}".encode())


def philox4x32(ctr: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Philox-4x32-10 on arrays of counters ``(..., 4)`` and keys ``(..., 2)`` (uint32)."""
    c = [ctr[..., i].astype(np.uint64) for i in range(4)]
    k0 = key[..., 0].astype(np.uint32)
    k1 = key[..., 1].astype(np.uint32)
    with np.errstate(over="ignore"):
        for _ in range(10):
            p0 = _M0 * c[0]
            p1 = _M1 * c[2]
            n0 = (p1 >> np.uint64(32)) ^ c[1] ^ k0.astype(np.uint64)
            n2 = (p0 >> np.uint64(32)) ^ c[3] ^ k1.astype(np.uint64)
            c = [n0 & _MASK, p1 & _MASK, n2 & _MASK, p0 & _MASK]
            k0 = k0 + _W0
            k1 = k1 + _W1
    return np.stack([x.astype(np.uint32) for x in c], axis=-1)


def raw_u32(seed: int, stream: int, element, step: int, count: int) -> np.ndarray:
    """The first ``count`` 32-bit draws of each element's stream: shape ``(len(element), count)``."""
    element = np.atleast_1d(np.asarray(element, dtype=np.uint64))
    blocks = (count + 3) // 4
    key = np.array([(seed & 0xFFFFFFFF) ^ stream, (seed >> 32) & 0xFFFFFFFF], dtype=np.uint32)
    ctr = np.zeros((element.size, blocks, 4), dtype=np.uint32)
    ctr[..., 0] = np.arange(blocks, dtype=np.uint32)[None, :]
    ctr[..., 1] = (element & _MASK).astype(np.uint32)[:, None]
    ctr[..., 2] = (element >> np.uint64(32)).astype(np.uint32)[:, None]
    ctr[..., 3] = np.uint32(step & 0xFFFFFFFF)
    out = philox4x32(ctr, np.broadcast_to(key, ctr.shape[:-1] + (2,)))
    return out.reshape(element.size, blocks * 4)[:, :count]


def uniform_float(seed: int, stream: int, element, step: int, count: int = 1) -> np.ndarray:
    """``gennrand_uniform()`` in single precision: values on (0, 1]."""
    u = raw_u32(seed, stream, element, step, count)
    return ((u >> np.uint32(8)).astype(np.float32) + np.float32(1.0)) * np.float32(2.0 ** -24)


def uniform_double(seed: int, stream: int, element, step: int, count: int = 1) -> np.ndarray:
    """``gennrand_uniform()`` in double precision: values on (0, 1]."""
    u = raw_u32(seed, stream, element, step, 2 * count).astype(np.uint64)
    v = (u[:, 0::2] << np.uint64(32)) | u[:, 1::2]
    return ((v >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0 ** -53


def poisson_inversion(seed: int, stream: int, element, step: int, lam: float) -> np.ndarray:
    """``gennrand_poisson(lam)`` for ``0 < lam < 10``, the first draw of each element's stream: the number of
    terms of the Poisson distribution function, summed as the C code sums them, that the draw passes."""
    if not 0.0 < lam < 10.0:
        raise ValueError("the inversion covers 0 < lam < 10; from 10 the C code draws by rejection (PTRS)")
    u = raw_u32(seed, stream, element, step, 1)[:, 0].astype(np.float64) * 2.0 ** -32
    terms = int(lam + 7.0 * np.sqrt(lam)) + 12
    p = np.exp(-lam)
    cdf = p
    k = np.zeros(u.shape, dtype=np.int64)
    for j in range(1, terms):
        k += u >= cdf
        p *= lam / j
        cdf += p
    return k + (u >= cdf)
