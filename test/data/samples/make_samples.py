#!/usr/bin/python3
"""Writes the small .npy/.npz files the calibration reader tests load, and
expected.json with what numpy itself reads back from each of them.

The expected values come from numpy (never from the TypeScript reader), so the
tests compare the reader against the reference implementation of the format.

Run with Debian's python3 (it has python3-numpy):
    /usr/bin/python3 test/data/samples/make_samples.py
The outputs are committed; rerun only to change them. With numpy 1.24 a rerun
writes identical bytes (np.savez stamps members with a fixed 1980 date).
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
expected = {}


def describe(arr):
    """How the tests see an array: our dtype name, shape, C-order values.

    64-bit integers are strings (JSON numbers lose precision past 2**53),
    float16 is its raw bits (the reader keeps float16 as Uint16Array bits),
    bool is 0/1 (the reader keeps bool as Uint8Array bytes)."""
    arr = np.asarray(arr)
    flat = np.ascontiguousarray(arr).reshape(-1)
    name = arr.dtype.name
    if name in ('int64', 'uint64'):
        values = [str(v) for v in flat.tolist()]
    elif name == 'float16':
        values = flat.astype('<f2').view('<u2').tolist()
    elif name == 'bool':
        values = flat.astype(np.uint8).tolist()
    elif arr.dtype.kind == 'c':
        values = None  # unsupported by the reader; only the error is tested
    else:
        values = flat.tolist()
    return {'dtype': name, 'shape': list(arr.shape), 'values': values}


def path(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save_npy(name, arr, version=None):
    """Writes name.npy and records what np.load reads back from it."""
    p = path(name + '.npy')
    with open(p, 'wb') as f:
        np.lib.format.write_array(f, arr, version=version)
    back = np.load(p)
    expected[name + '.npy'] = describe(back)
    return back


def save_npz(relname, compressed=False, **arrays):
    p = path(relname)
    (np.savez_compressed if compressed else np.savez)(p, **arrays)
    with np.load(p) as z:
        expected[relname] = {k: describe(z[k]) for k in z.files}


# One file per dtype the reader supports, little endian as numpy writes it.
save_npy('float32_3d', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5 - 3))
save_npy('float64', np.array([0.1, -2.5, 1e300, np.pi, -0.0, 5e-324], dtype=np.float64))
save_npy('float16', np.array([[1.0, -2.0, 0.5], [65504.0, -0.0, 6e-8]], dtype=np.float16))
save_npy('int8', np.array([-128, -1, 0, 1, 127], dtype=np.int8))
save_npy('uint8', np.array([[0, 1, 2], [128, 254, 255]], dtype=np.uint8))
save_npy('int16', np.array([-32768, -1, 0, 300, 32767], dtype=np.int16))
save_npy('uint16', np.array([0, 1, 40000, 65535], dtype=np.uint16))
save_npy('int32', np.array([-2**31, -1, 0, 70000, 2**31 - 1], dtype=np.int32))
save_npy('uint32', np.array([0, 1, 3_000_000_000, 2**32 - 1], dtype=np.uint32))
save_npy('int64', np.array([[-2**63, -1, 0], [2**53 + 1, 2**62 + 7, 2**63 - 1]], dtype=np.int64))
save_npy('uint64', np.array([0, 1, 2**53 + 1, 2**64 - 1], dtype=np.uint64))
save_npy('bool', np.array([[True, False], [False, True], [True, True]], dtype=np.bool_))

# Byte order: '>' arrays must be swapped into native order on read.
save_npy('big_endian_f4', np.array([[1.5, -2.0, 3.25], [1e-3, 7.0, -1e20]], dtype='>f4'))
save_npy('big_endian_i8', np.array([-2**63, -2, 2**40 + 3, 2**63 - 1], dtype='>i8'))
save_npy('big_endian_f2', np.array([1.0, -0.5, 1000.0], dtype='>f2'))

# fortran_order True: the data is column-major; the reader hands back C order.
save_npy('fortran_3d', np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
save_npy('fortran_2d_i2', np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int16)))

# Header versions 2.0 (4-byte header length) and 3.0 (utf-8 header).
save_npy('version2', np.array([[1, 2], [3, 4]], dtype=np.int32), version=(2, 0))
save_npy('version3', np.array([0.25, 0.5], dtype=np.float32), version=(3, 0))

# Shapes at the edges: 0-d and zero-length.
save_npy('scalar', np.array(7.5, dtype=np.float32))
save_npy('empty', np.zeros((0, 3), dtype=np.float32))

# A dtype the reader rejects.
save_npy('complex64', np.array([1 + 2j], dtype=np.complex64))

# A batch of 4 samples for a single-input model: the first axis indexes samples.
save_npy('batch4', np.arange(4 * 2 * 3, dtype=np.float32).reshape(4, 2, 3) / 8)

# .npz: np.savez (stored members) and np.savez_compressed (deflated members).
save_npz('two_inputs.npz',
         input=np.arange(6, dtype=np.float32).reshape(1, 2, 3),
         mask=np.array([[1, 0, 1]], dtype=np.int64))
save_npz('two_inputs_compressed.npz', compressed=True,
         input=np.linspace(-1, 1, 6, dtype=np.float32).reshape(1, 2, 3),
         mask=np.array([[0, 1, 1]], dtype=np.int64))

# A folder dataset: three samples, names sorted out of creation order.
rng = np.random.default_rng(0)
for i in (2, 0, 1):
    save_npz(f'folder/sample_{i:03d}.npz',
             input=rng.standard_normal((1, 1, 4, 4)).astype(np.float32),
             mask=np.array([[i]], dtype=np.int64))

# A folder whose second sample has the wrong shape, and one with a float64 input.
save_npz('mismatch/sample_000.npz', input=np.zeros((1, 1, 4, 4), dtype=np.float32))
save_npz('mismatch/sample_001.npz', input=np.zeros((1, 1, 4, 5), dtype=np.float32))
save_npz('mismatch_dtype/sample_000.npz', input=np.zeros((1, 1, 4, 4), dtype=np.float64))

# One file per line: small, and a diff shows which file's values changed.
with open(path('expected.json'), 'w') as f:
    f.write('{\n' + ',\n'.join(f' {json.dumps(k)}: {json.dumps(expected[k])}'
                               for k in sorted(expected)) + '\n}\n')
