// The contract between the --dtype framework and the producers of each
// transformers.js variant (fp16, q8, int8, uint8 here; q4, q4f16, bnb4, q2,
// q2f16 in src/quant/nbits/). A producer turns the float model into the
// variant's ModelProto; the framework saves it beside the output, checks it in
// ONNX Runtime, retries with the nodes the runtime refused left float, and
// renames it into place.
import type ort from 'onnxruntime-node';
import type { Model } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { Fp16Target } from '../fp16/kernels.js';

/** Settings from the command line that producers read (each takes what concerns it). */
export interface DtypeSettings {
  /** fp16: float32 graph inputs and outputs (default true). */
  keepIoTypes: boolean;
  /** fp16: which ops stay float32 ('portable' default, 'cpu'). */
  fp16Target: Fp16Target;
  /** 8-bit: 7-bit weights for the integer kernels (see README). */
  reduceRange: boolean;
  perTensor: boolean;
  /** Calibration samples, for producers that can use them (static INT8, GPTQ). */
  calibrate?: string;
  /** 4-bit and 2-bit producers: block size, symmetric, accuracy level, method... */
  blockSize?: number;
  symmetric?: boolean;
  accuracyLevel?: number;
  /** Anything else a producer registers options for, by option name. */
  extra: Record<string, unknown>;
}

export interface DtypeJob {
  /** The float model (tensors read lazily; external data streamed). Never modified. */
  model: Model;
  settings: DtypeSettings;
  /** Nodes (names or op types) to keep float: --exclude plus nodes ONNX Runtime refused in an earlier attempt. */
  exclude: string[];
  /** Inputs valid for the model (a sample, or generated: in-vocabulary tokens, empty KV cache), for producers that measure. */
  feeds?: Record<string, ort.Tensor>;
}

export interface DtypeResult {
  proto: ModelProto;
  /** Node of the output → the original nodes it came from, so a node ORT refuses can be left float on the next attempt. */
  origin: Map<string, string[]>;
  /** One line saying what changed (printed after the output's name). */
  summary: string;
  notes: string[];
}

export interface DtypeEntry {
  /** The name transformers.js's `dtype` option takes. */
  name: string;
  /** File name suffix before .onnx (transformers.js's DEFAULT_DTYPE_SUFFIX_MAPPING). */
  suffix: string;
  /** One line for --help and the usage error. */
  description: string;
  /** Check the output with ONNX Runtime's weight prepacking on (low-bit kernels run a slow fallback without it). */
  checkPrepacked?: boolean;
  produce(job: DtypeJob): Promise<DtypeResult>;
}

/** A dtype transformers.js knows whose producer is not built (yet, or at all): refused with this reason. */
export interface UnavailableDtype {
  name: string;
  suffix: string;
  reason: string;
}
