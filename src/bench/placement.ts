// Which execution provider ran which nodes, read from ONNX Runtime's profile
// (enableProfiling): every kernel execution is an event of category "Node"
// named "<node>_kernel_time" whose args carry the provider and the op type.
// These are the nodes after graph optimisation, so a QDQ model shows the
// fused kernels (QLinearConv, QGemm, ...) that actually ran.

export interface ProviderPlacement {
  /** ORT's provider name, e.g. CPUExecutionProvider */
  provider: string;
  /** distinct nodes it ran */
  nodes: number;
  /** nodes per op type, most frequent first */
  ops: Array<{ op: string; count: number }>;
}

/** Nodes per provider from ORT's profile events (the JSON array it writes). */
export function placementFromProfile(events: unknown): ProviderPlacement[] {
  if (!Array.isArray(events)) return [];
  const byProvider = new Map<string, Map<string, Set<string>>>();
  for (const e of events as Array<Record<string, unknown>>) {
    if (!e || e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const args = (e.args ?? {}) as Record<string, unknown>;
    const provider = typeof args.provider === 'string' ? args.provider : 'unknown';
    const op = typeof args.op_name === 'string' ? args.op_name : '?';
    let ops = byProvider.get(provider);
    if (!ops) byProvider.set(provider, (ops = new Map()));
    let nodes = ops.get(op);
    if (!nodes) ops.set(op, (nodes = new Set()));
    nodes.add(e.name);
  }
  const out: ProviderPlacement[] = [];
  for (const [provider, ops] of byProvider) {
    const list = [...ops].map(([op, set]) => ({ op, count: set.size })).sort((a, b) => b.count - a.count || (a.op < b.op ? -1 : 1));
    out.push({ provider, nodes: list.reduce((s, o) => s + o.count, 0), ops: list });
  }
  return out.sort((a, b) => b.nodes - a.nodes);
}
