// Encodes a ModelProto into a list of byte chunks whose concatenation is the
// protobuf encoding, without ever copying large tensor bytes: a raw_data of
// 64 KiB or more is passed through as the very view it came in. protobufjs
// would copy everything into one growing buffer (2-3x the model's size at
// peak); this keeps saving within the file's size plus small pieces.
//
// Messages are split only at the container fields (containers.ts); runs of
// other fields are encoded by protobufjs from a shallow object holding just
// those fields, so bytes are exactly what protobufjs would write in one go.
import { CONTAINER_FIELDS, MESSAGE_CLASS, type ContainerField, type Kind } from './containers.js';
import type { ModelProto, TensorProto } from './proto.js';

export const PASS_THROUGH_BYTES = 64 * 1024;

export interface Chunks {
  parts: Uint8Array[];
  length: number;
}

export function encodeModelChunks(model: ModelProto): Chunks {
  const heavy = new WeakMap<object, boolean>();
  const out: Chunks = { parts: [], length: 0 };
  encodeInto('model', model, out, heavy);
  return out;
}

function isHeavy(kind: Kind, msg: object, memo: WeakMap<object, boolean>): boolean {
  if (kind === 'tensor') return ((msg as TensorProto).rawData?.length ?? 0) >= PASS_THROUGH_BYTES;
  const known = memo.get(msg);
  if (known !== undefined) return known;
  let result = false;
  for (const field of CONTAINER_FIELDS[kind]) {
    const value = (msg as Record<string, unknown>)[field.key];
    if (value == null) continue;
    const items = field.repeated ? (value as object[]) : [value as object];
    if (items.some((item) => isHeavy(field.kind, item, memo))) {
      result = true;
      break;
    }
  }
  memo.set(msg, result);
  return result;
}

function push(out: Chunks, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  out.parts.push(bytes);
  out.length += bytes.length;
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  while (value > 127) {
    bytes.push((value % 128) | 128);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}

function encodeWhole(kind: Kind, msg: object): Uint8Array {
  return MESSAGE_CLASS[kind].encode(msg).finish();
}

/** Field keys of a message type in declaration (= field-number) order. */
const keyOrderCache = new Map<Kind, string[]>();
function fieldOrder(kind: Kind): string[] {
  let keys = keyOrderCache.get(kind);
  if (!keys) {
    keys = Object.keys(MESSAGE_CLASS[kind].prototype);
    keyOrderCache.set(kind, keys);
  }
  return keys;
}

function encodeInto(kind: Kind, msg: object, out: Chunks, memo: WeakMap<object, boolean>): void {
  if (!isHeavy(kind, msg, memo)) {
    push(out, encodeWhole(kind, msg));
    return;
  }
  const record = msg as Record<string, unknown>;
  const containers: Map<string, ContainerField | 'raw'> = new Map();
  if (kind === 'tensor') containers.set('rawData', 'raw');
  else for (const field of CONTAINER_FIELDS[kind]) containers.set(field.key, field);

  let segment: Record<string, unknown> = {};
  let segmentHasFields = false;
  const flush = (): void => {
    if (segmentHasFields) push(out, encodeWhole(kind, segment));
    segment = {};
    segmentHasFields = false;
  };
  for (const key of fieldOrder(kind)) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
    const container = containers.get(key);
    if (!container) {
      segment[key] = record[key];
      segmentHasFields = true;
      continue;
    }
    flush();
    if (container === 'raw') {
      const raw = record[key] as Uint8Array | null;
      if (raw == null) continue;
      push(out, varint((9 << 3) | 2));
      push(out, varint(raw.length));
      push(out, raw);
      continue;
    }
    const value = record[key];
    if (value == null) continue;
    const items = container.repeated ? (value as object[]) : [value as object];
    for (const item of items) {
      const child: Chunks = { parts: [], length: 0 };
      encodeInto(container.kind, item, child, memo);
      push(out, varint((container.field << 3) | 2));
      push(out, varint(child.length));
      for (const part of child.parts) push(out, part);
    }
  }
  // Unknown fields preserved by protobufjs go last, as its own encoder does.
  const unknowns = (record as { $unknowns?: Uint8Array[] }).$unknowns;
  flush();
  if (unknowns) for (const u of unknowns) push(out, u);
}
