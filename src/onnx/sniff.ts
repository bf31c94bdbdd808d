// Recognises common files that are not ONNX, cheaply, before decoding, so the
// error can say what the file looks like instead of "protobuf decode failed".

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

export function describeNonOnnx(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive (a PyTorch checkpoint, .npz or .keras file?), not an ONNX model';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'a PNG image, not an ONNX model';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'a JPEG image, not an ONNX model';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip-compressed; decompress it first';
  if (startsWith(bytes, [0x89, 0x48, 0x44, 0x46])) return 'an HDF5 file (a Keras .h5 model?), not an ONNX model';
  if (startsWith(bytes, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'a NumPy .npy array, not an ONNX model';
  if (startsWith(bytes, [0x54, 0x46, 0x4c, 0x33], 4)) return 'a TensorFlow Lite model, not an ONNX model';
  if (bytes[0] === 0x80 && bytes.length > 1 && bytes[1]! >= 2 && bytes[1]! <= 5) return 'a Python pickle (a PyTorch checkpoint?), not an ONNX model';
  const head = bytes.subarray(0, 256);
  if (head.length >= 8 && head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127))) {
    return 'a text file, not an ONNX model';
  }
  return undefined;
}
