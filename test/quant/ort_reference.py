#!/usr/bin/python3
"""Golden cases for src/quant/math, computed with numpy the way onnxruntime's quantizer does.

An independent re-implementation (in numpy, with numpy's own float32/float64 arithmetic and
rounding) of the formulas of onnxruntime.quantization: quant_utils.py (get_qmin_qmax_for_qType,
compute_scale_zp, quantize_nparray, quantize_data), base_quantizer.py
(quantize_bias_static_impl) and qdq_quantizer.py (_adjust_weight_scale_for_int32_bias).
It does not call the TypeScript code; test/quant/ort-golden.test.ts compares the two.

Regenerate (Debian's python3-numpy; the `python3` on PATH may have no numpy):
    /usr/bin/python3 test/quant/ort_reference.py > test/quant/ort_golden.json
"""
import json
import sys

import numpy as np

# Ranges as ORT's ONNX_INT_TYPE_RANGE / _SYMMETRIC_RANGE / _REDUCED_RANGE, held as numpy
# 0-d arrays of the quantized dtype, as ORT holds them.
DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16}
FULL = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767), "uint16": (0, 65535)}
SYMMETRIC = {"int8": (-127, 127), "uint8": (0, 254), "int16": (-32767, 32767), "uint16": (0, 65534)}
REDUCED = {"int8": (-64, 64), "uint8": (0, 127), "int16": (-16384, 16384), "uint16": (0, 32767)}


SCALE_ZP_FIELDS = ["rmin", "rmax", "type", "symmetric", "reduceRange", "minRealRange", "qmin", "qmax",
                   "scale", "zeroPoint"]


def qrange(qtype, reduce_range, symmetric):
    table = REDUCED if reduce_range else SYMMETRIC if symmetric else FULL
    lo, hi = table[qtype]
    dt = DTYPES[qtype]
    return np.array(lo, dtype=dt), np.array(hi, dtype=dt)


def scale_zp(rmin, rmax, qmin, qmax, symmetric, min_real_range=None):
    """rmin, rmax: float32 0-d arrays. Returns (zero_point 0-d of qmin.dtype, scale float32 0-d)."""
    rmin = np.minimum(rmin, np.array(0, dtype=rmin.dtype))
    rmax = np.maximum(rmax, np.array(0, dtype=rmax.dtype))
    if min_real_range is not None:
        rmax = max(rmax, rmin + np.asarray(min_real_range, dtype=rmin.dtype))
    if symmetric:
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        rmin = -absmax
        rmax = +absmax
    dr = np.array(rmax - rmin, dtype=np.float64)  # float32 subtraction, widened
    dq = np.array(qmax, dtype=np.float64) - np.array(qmin, dtype=np.float64)
    scale = np.array(dr / dq)
    if scale < np.finfo(rmax.dtype).tiny:
        return np.array(0, dtype=qmin.dtype), np.array(1.0, dtype=rmax.dtype)
    if symmetric:
        zp = np.array(np.round((qmin + qmax) / np.array(2.0, dtype=np.float64)), dtype=qmin.dtype)
    else:
        zp = np.array(np.round(qmin - rmin / scale), dtype=qmin.dtype)
    return zp, scale.astype(rmax.dtype)


def quantize_array(qtype, arr, scale, zero_point):
    """Clip to the type's full range, as ORT's quantize_nparray (reduce_range=False, symmetric=False)."""
    lo, hi = FULL[qtype]
    q = np.asarray((arr.astype(np.float32) / scale).round() + zero_point)
    np.clip(q, lo, hi, out=q)
    return q.astype(DTYPES[qtype])


def data_params(data, qtype, symmetric, reduce_range, min_real_range=None):
    rmin = np.array(data.min() if len(data) else 0.0, dtype=data.dtype)
    rmax = np.array(data.max() if len(data) else 0.0, dtype=data.dtype)
    qmin, qmax = qrange(qtype, reduce_range, symmetric)
    if len(data):
        return scale_zp(rmin, rmax, qmin, qmax, symmetric, min_real_range)
    return np.array(0, dtype=qmin.dtype), np.array(1.0, dtype=data.dtype)


def per_tensor(data, qtype, symmetric, reduce_range, min_real_range=None):
    flat = data.ravel()
    zp, scale = data_params(flat, qtype, symmetric, reduce_range, min_real_range)
    return zp, scale, quantize_array(qtype, flat, scale, zp)


def per_channel(weights, axis, qtype, symmetric, reduce_range):
    zps, scales, parts = [], [], []
    dims = list(weights.shape)
    dims[axis] = 1
    for i in range(weights.shape[axis]):
        chan = weights.take(i, axis)
        zp, scale = data_params(chan.ravel(), qtype, symmetric, reduce_range)
        zps.append(zp)
        scales.append(scale)
        parts.append(quantize_array(qtype, chan.ravel(), scale, zp).reshape(dims))
    return np.hstack(zps), np.hstack(scales), np.concatenate(parts, axis)


def quantize_bias(bias, input_scale, weight_scale):
    """bias float32; input_scale float32 0-d; weight_scale float32 array (1 or per channel)."""
    bias_scale = input_scale * weight_scale  # float32 product
    q = np.asarray(bias, dtype=np.float64) / np.asarray(bias_scale, dtype=np.float64)
    q = q.round()
    lo = np.float64(np.iinfo(np.int32).min)
    hi = np.float64(np.iinfo(np.int32).max)
    return np.clip(q, lo, hi).astype(np.int32), bias_scale.astype(np.float32)


def adjust_weight_scale(input_scale, weight_scale, bias, is_per_channel):
    """Returns (adjusted?, new float32 weight scales)."""
    info = np.iinfo(np.int32)
    eps = 1.0001
    qspan = np.array(info.max, dtype=np.float64) - np.array(info.min + 1, dtype=np.float64)
    weight_scale = weight_scale.copy()
    changed = False
    inp = np.array(input_scale.item(), dtype=np.float64)
    if not is_per_channel:
        rmin = np.minimum(bias.min(), np.array(0, dtype=np.float64))
        rmax = np.maximum(bias.max(), np.array(0, dtype=np.float64))
        absmax = np.maximum(np.abs(rmin), np.abs(rmax))
        smallest = eps * (2.0 * absmax) / qspan
        w = np.array(weight_scale.item(), dtype=np.float64)
        cand = inp * w
        if smallest > cand > 0.0:
            weight_scale = np.array([(w * (smallest / cand))], dtype=np.float32).reshape(weight_scale.shape)
            changed = True
    else:
        for i in range(weight_scale.shape[0]):
            smallest = eps * (2.0 * np.abs(bias[i])) / qspan
            w = np.array(weight_scale[i].item(), dtype=np.float64)
            cand = inp * w
            if smallest > cand > 0.0:
                weight_scale[i] = np.array(w * (smallest / cand)).astype(np.float32)
                changed = True
    return changed, weight_scale


def f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def intlist(a):
    return [int(v) for v in np.asarray(a).ravel()]


def random_tensor(rng, shape, spread):
    mag = np.exp(rng.uniform(-spread, spread))
    x = rng.standard_normal(shape) * mag
    if rng.uniform() < 0.3:
        x = x + rng.uniform(-2, 2) * mag  # ranges not centred on 0, some not containing 0
    return x.astype(np.float32)


def main():
    rng = np.random.default_rng(20240611)
    out = {"scale_zp_fields": SCALE_ZP_FIELDS, "scale_zp": [], "per_tensor": [], "per_channel": [], "quantize": [], "bias": [], "adjust": []}

    # compute_scale_zp over random ranges, every type and mode, plus edge ranges.
    edges = [(0.0, 0.0), (2.0, 6.0), (-6.0, -2.0), (-1e-39, 1e-39), (-1e-30, 3e-30), (-1.7e38, 1.7e38),
             (-1.0, 1.0), (-0.5, 127.5), (1e-8, 1.0)]
    ranges = edges + [tuple(sorted(rng.standard_normal(2) * np.exp(rng.uniform(-20, 10)))) for _ in range(16)]
    for n_range, (rmin, rmax) in enumerate(ranges):
        for qtype in DTYPES:
            for symmetric in (False, True):
                for reduce_range in (False, True):
                    for mrr in (None, 1e-4) if n_range < len(edges) else (None,):
                        qmin, qmax = qrange(qtype, reduce_range, symmetric)
                        zp, scale = scale_zp(np.array(rmin, dtype=np.float32), np.array(rmax, dtype=np.float32),
                                             qmin, qmax, symmetric, mrr)
                        # Rows, to keep the file small; fields named in SCALE_ZP_FIELDS.
                        out["scale_zp"].append([
                            float(np.float32(rmin)), float(np.float32(rmax)), qtype, int(symmetric),
                            int(reduce_range), mrr, int(qmin), int(qmax), float(scale), int(zp),
                        ])

    # Per-tensor quantization of random tensors.
    for k in range(24):
        qtype = list(DTYPES)[k % 4]
        symmetric = qtype in ("int8", "int16") if k % 3 else not qtype.startswith("int")
        reduce_range = k % 5 == 0
        x = random_tensor(rng, (int(rng.integers(1, 60)),), 6)
        zp, scale, q = per_tensor(x, qtype, symmetric, reduce_range)
        out["per_tensor"].append({
            "x": f32list(x), "type": qtype, "symmetric": bool(symmetric), "reduceRange": reduce_range,
            "scale": float(scale), "zeroPoint": int(zp), "q": intlist(q),
        })

    # Per-channel quantization along every axis of small 2-D/3-D/4-D tensors.
    shapes = [(5, 7), (3, 4, 5), (4, 3, 2, 2), (2, 3, 1, 4), (6, 1)]
    for shape in shapes:
        for axis in range(len(shape)):
            for qtype, symmetric, reduce_range in (("int8", True, False), ("uint8", False, False),
                                                   ("int8", True, True), ("int16", True, False),
                                                   ("uint8", True, False)):
                x = random_tensor(rng, shape, 4)
                if rng.uniform() < 0.3:
                    x[(slice(None),) * axis + (0,)] = 0.0  # an all-zero channel
                zps, scales, q = per_channel(x, axis, qtype, symmetric, reduce_range)
                out["per_channel"].append({
                    "x": f32list(x), "shape": list(shape), "axis": axis, "type": qtype,
                    "symmetric": symmetric, "reduceRange": reduce_range,
                    "scales": f32list(scales), "zeroPoints": intlist(zps), "q": intlist(q),
                })

    # QuantizeLinear with given (calibrated) parameters: values beyond the range are clipped,
    # and halves of the scale are hit on purpose.
    for k in range(16):
        qtype = ["uint8", "int8", "uint16", "int16"][k % 4]
        scale = np.float32(np.exp(rng.uniform(-8, 2)))
        lo, hi = FULL[qtype]
        zp = np.array(int(rng.integers(lo, hi + 1)) if k % 2 == 0 else (0 if lo < 0 else (hi + 1) // 2),
                      dtype=DTYPES[qtype])
        n = 40
        halves = (rng.integers(-300, 300, n) + 0.5).astype(np.float64)
        x = (halves * np.float64(scale)).astype(np.float32)
        x[:8] = (rng.standard_normal(8) * scale * 400).astype(np.float32)  # some clipped
        q = quantize_array(qtype, x, scale, zp)
        out["quantize"].append({
            "x": f32list(x), "type": qtype, "scale": float(scale), "zeroPoint": int(zp), "q": intlist(q),
        })

    # Int32 bias, per tensor and per channel.
    for k in range(12):
        n = int(rng.integers(1, 9))
        bias = (rng.standard_normal(n) * np.exp(rng.uniform(-6, 6))).astype(np.float32)
        input_scale = np.array(np.exp(rng.uniform(-10, 0)), dtype=np.float32)
        per_chan = k % 2 == 1
        ws = (np.exp(rng.uniform(-25, -2, n if per_chan else 1))).astype(np.float32)
        q, bias_scale = quantize_bias(bias, input_scale, ws)
        out["bias"].append({
            "bias": f32list(bias), "inputScale": float(input_scale), "weightScales": f32list(ws),
            "q": intlist(q), "biasScales": f32list(bias_scale),
        })

    # Weight-scale enlargement for int32 bias, then the bias quantized with the new scales.
    for k in range(12):
        n = int(rng.integers(1, 7))
        per_chan = k % 2 == 1
        bias = (rng.standard_normal(n) * np.exp(rng.uniform(-2, 8))).astype(np.float32)
        if k % 4 == 3:
            bias[0] = 0.0
        input_scale = np.array(np.exp(rng.uniform(-8, -2)), dtype=np.float32)
        ws = (np.exp(rng.uniform(-30, -5, n if per_chan else 1))).astype(np.float32)
        changed, new_ws = adjust_weight_scale(input_scale, ws, bias, per_chan)
        q, bias_scale = quantize_bias(bias, input_scale, new_ws)
        out["adjust"].append({
            "bias": f32list(bias), "inputScale": float(input_scale), "weightScales": f32list(ws),
            "perChannel": per_chan, "adjusted": bool(changed), "newWeightScales": f32list(new_ws),
            "q": intlist(q),
        })

    json.dump(out, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
