// Small editing helpers over one graph's protobuf lists: initializer lookup,
// adding tensors, replacing a value's uses. Rewrites stay local edits.
import type { GraphProto, NodeProto, TensorProto } from '../onnx/proto.js';

export class GraphEditor {
  readonly initializers = new Map<string, TensorProto>();

  constructor(readonly graph: GraphProto) {
    for (const t of graph.initializer ?? []) this.initializers.set(t.name ?? '', t);
  }

  get nodes(): NodeProto[] {
    return (this.graph.node ??= []);
  }

  initializer(name: string): TensorProto | undefined {
    return this.initializers.get(name);
  }

  addInitializer(t: TensorProto): void {
    (this.graph.initializer ??= []).push(t);
    this.initializers.set(t.name ?? '', t);
  }

  removeInitializer(name: string): void {
    this.graph.initializer = (this.graph.initializer ?? []).filter((t) => t.name !== name);
    this.initializers.delete(name);
    // Old exporters list initializers as graph inputs too.
    this.graph.input = (this.graph.input ?? []).filter((v) => v.name !== name);
  }

  /** Nodes reading `name`, in graph order. */
  consumers(name: string): NodeProto[] {
    return this.nodes.filter((n) => (n.input ?? []).includes(name));
  }

  producer(name: string): NodeProto | undefined {
    return this.nodes.find((n) => (n.output ?? []).includes(name));
  }

  isGraphOutput(name: string): boolean {
    return (this.graph.output ?? []).some((v) => v.name === name);
  }

  isGraphInput(name: string): boolean {
    return (this.graph.input ?? []).some((v) => v.name === name) && !this.initializers.has(name);
  }

  /** Points `node`'s input(s) named `from` at `to`. */
  static replaceInput(node: NodeProto, from: string, to: string): void {
    node.input = (node.input ?? []).map((n) => (n === from ? to : n));
  }
}

export function attrInt(node: NodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a || a.i == null) return fallback;
  return typeof a.i === 'number' ? a.i : a.i.toNumber();
}

export function attrFloat(node: NodeProto, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a && a.f != null && Object.prototype.hasOwnProperty.call(a, 'f') ? a.f : fallback;
}

export function attrInts(node: NodeProto, name: string): number[] | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (!a) return undefined;
  return (a.ints ?? []).map((v) => (typeof v === 'number' ? v : v.toNumber()));
}

export function removeAttr(node: NodeProto, name: string): void {
  node.attribute = (node.attribute ?? []).filter((a) => a.name !== name);
}

export function nodeLabel(node: NodeProto): string {
  return node.name ? `${node.name} (${node.opType})` : `${node.opType} → ${(node.output ?? [])[0] ?? '?'}`;
}
