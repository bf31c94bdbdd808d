// Who produces and who consumes every value, across the main graph and its
// subgraphs, so that rewrites are local edits; and unique names across all
// scopes. ONNX names are unique across nested scopes (a subgraph may read an
// outer value but not redefine it), so one map per kind serves all graphs.
import { allGraphs, type GraphScope } from './graph-walk.js';
import type { ModelProto, NodeProto, TensorProto } from './proto.js';

export interface Use {
  node: NodeProto;
  scope: GraphScope;
  /** Position in node.input. */
  index: number;
}

export class GraphIndex {
  readonly scopes: GraphScope[];
  readonly producer = new Map<string, { node: NodeProto; scope: GraphScope; index: number }>();
  readonly consumers = new Map<string, Use[]>();
  /** Nodes (If/Loop/Scan) whose subgraphs read an outer value: they use it implicitly. */
  readonly implicitUsers = new Map<string, NodeProto[]>();
  readonly initializer = new Map<string, { tensor: TensorProto; scope: GraphScope }>();
  readonly graphInputs = new Set<string>();
  readonly graphOutputs = new Set<string>();
  readonly scopeOf = new Map<NodeProto, GraphScope>();
  private readonly names = new Set<string>();

  constructor(readonly model: ModelProto) {
    this.scopes = allGraphs(model);
    for (const scope of this.scopes) {
      const g = scope.graph;
      if (g.name) this.names.add(g.name);
      for (const t of g.initializer ?? []) {
        this.initializer.set(t.name ?? '', { tensor: t, scope });
        this.names.add(t.name ?? '');
      }
      for (const v of g.input ?? []) this.names.add(v.name ?? '');
      for (const v of g.output ?? []) this.names.add(v.name ?? '');
      for (const v of g.valueInfo ?? []) this.names.add(v.name ?? '');
      if (scope.depth === 0) {
        for (const v of g.input ?? []) this.graphInputs.add(v.name ?? '');
        for (const v of g.output ?? []) this.graphOutputs.add(v.name ?? '');
      }
      for (const node of g.node ?? []) {
        this.scopeOf.set(node, scope);
        if (node.name) this.names.add(node.name);
        (node.output ?? []).forEach((name, index) => {
          if (!name) return;
          this.producer.set(name, { node, scope, index });
          this.names.add(name);
        });
        (node.input ?? []).forEach((name, index) => {
          if (!name) return;
          let list = this.consumers.get(name);
          if (!list) this.consumers.set(name, (list = []));
          list.push({ node, scope, index });
        });
      }
    }
    // Outer values read inside a subgraph make the owning node a user too.
    for (const scope of this.scopes) {
      if (!scope.owner) continue;
      const local = new Set<string>([
        ...(scope.graph.input ?? []).map((v) => v.name ?? ''),
        ...(scope.graph.initializer ?? []).map((t) => t.name ?? ''),
        ...(scope.graph.node ?? []).flatMap((n) => n.output ?? []),
      ]);
      for (const node of scope.graph.node ?? []) {
        for (const name of node.input ?? []) {
          if (!name || local.has(name)) continue;
          for (let s: GraphScope | undefined = scope; s?.owner; s = s.parent) {
            const users = this.implicitUsers.get(name) ?? [];
            if (!users.includes(s.owner)) users.push(s.owner);
            this.implicitUsers.set(name, users);
          }
        }
      }
    }
  }

  usesOf(name: string): Use[] {
    return this.consumers.get(name) ?? [];
  }

  isGraphOutput(name: string): boolean {
    return this.graphOutputs.has(name);
  }

  /** A name no graph uses yet, based on `base`; reserved at once. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  hasName(name: string): boolean {
    return this.names.has(name);
  }
}
