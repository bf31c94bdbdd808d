// A structural copy of a decoded message tree for editing: every message and
// list is new, while tensor bytes (Uint8Array) and int64 values (Long) are
// shared, since rewrites replace them rather than write into them.
import Long from 'long';

export function cloneMessage<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array || Long.isLong(value)) return value;
  if (Array.isArray(value)) return value.map(cloneMessage) as T;
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(value)) {
    const desc = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in desc) desc.value = cloneMessage(desc.value);
    Object.defineProperty(copy, key, desc);
  }
  return copy as T;
}
