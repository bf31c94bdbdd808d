// transformers.js dtypes this build does not produce, each refused with its
// reason.
import type { UnavailableDtype } from './types.js';

export const UNAVAILABLE: UnavailableDtype[] = [
  { name: 'q1', suffix: '_q1', reason: '1-bit weights are not supported' },
  { name: 'q1f16', suffix: '_q1f16', reason: '1-bit weights are not supported' },
];
