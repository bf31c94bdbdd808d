// Every graph of a model: the main graph and the bodies of If/Loop/Scan (any
// graph-valued attribute), depth first, each with the node that owns it.
import { AttributeType, type GraphProto, type ModelProto, type NodeProto } from './proto.js';

export interface GraphScope {
  graph: GraphProto;
  /** The node whose attribute holds this graph; undefined for the main graph. */
  owner?: NodeProto;
  parent?: GraphScope;
  depth: number;
}

export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const attr of node.attribute ?? []) {
    if (attr.g && (attr.type === AttributeType.GRAPH || attr.type == null)) out.push(attr.g);
    for (const g of attr.graphs ?? []) out.push(g);
  }
  return out;
}

export function allGraphs(model: ModelProto): GraphScope[] {
  const scopes: GraphScope[] = [];
  if (!model.graph) return scopes;
  const visit = (scope: GraphScope): void => {
    scopes.push(scope);
    for (const node of scope.graph.node ?? []) {
      for (const g of subgraphsOf(node)) visit({ graph: g, owner: node, parent: scope, depth: scope.depth + 1 });
    }
  };
  visit({ graph: model.graph, depth: 0 });
  return scopes;
}
