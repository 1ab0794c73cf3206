// Reads V8 heap snapshots (`v8.writeHeapSnapshot()`) and compares two of one process, grouped by
// kind of object: how many more of each the second holds and their size, and what the objects new
// in it (V8 keeps an object's id across snapshots) retain (dominator tree, weak edges left out).
import { readFileSync } from 'node:fs';

/** A snapshot as flat arrays, and what each node is. */
export function readSnapshot(file) {
  const { snapshot, nodes, edges, strings } = JSON.parse(readFileSync(file, 'utf8'));
  const { node_fields: nodeFields, edge_fields: edgeFields } = snapshot.meta;
  const nodeTypes = snapshot.meta.node_types[0];
  const edgeTypes = snapshot.meta.edge_types[0];
  const width = nodeFields.length;
  const count = nodes.length / width;
  const at = (name) => nodeFields.indexOf(name);
  const [TYPE, NAME, ID, SIZE, EDGES] = ['type', 'name', 'id', 'self_size', 'edge_count'].map(at);
  const edgeWidth = edgeFields.length;
  const [EDGE_TYPE, EDGE_NAME, EDGE_TO] = ['type', 'name_or_index', 'to_node'].map((name) =>
    edgeFields.indexOf(name),
  );
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) firstEdge[i + 1] = firstEdge[i] + nodes[i * width + EDGES];
  return {
    count,
    type: (i) => nodeTypes[nodes[i * width + TYPE]],
    name: (i) => strings[nodes[i * width + NAME]],
    id: (i) => nodes[i * width + ID],
    size: (i) => nodes[i * width + SIZE],
    /** Calls `visit(to, edgeType, edgeName)` for each edge of node `i`. */
    edges(i, visit) {
      for (let e = firstEdge[i]; e < firstEdge[i + 1]; e++) {
        const type = edgeTypes[edges[e * edgeWidth + EDGE_TYPE]];
        const nameOrIndex = edges[e * edgeWidth + EDGE_NAME];
        const name = type === 'element' || type === 'hidden' ? nameOrIndex : strings[nameOrIndex];
        visit(edges[e * edgeWidth + EDGE_TO] / width, type, name);
      }
    },
  };
}

/**
 * Retained sizes: each node's own size plus that of every node it dominates (reachable from the
 * root only through it), by Cooper, Harvey and Kennedy's iterative algorithm over strong edges.
 */
export function retainedSizes(heap) {
  const { count } = heap;
  const strong = (type) => type !== 'weak';
  // Depth-first postorder from the root (node 0), without recursion.
  const order = new Int32Array(count).fill(-1);
  const postorder = [];
  const stack = [0];
  const children = [];
  const nextChild = new Int32Array(count);
  order[0] = -2;
  const childrenOf = (i) => {
    const list = [];
    heap.edges(i, (to, type) => strong(type) && list.push(to));
    return list;
  };
  children[0] = childrenOf(0);
  while (stack.length) {
    const node = stack[stack.length - 1];
    const list = children[node];
    if (nextChild[node] < list.length) {
      const to = list[nextChild[node]++];
      if (order[to] === -1) {
        order[to] = -2;
        children[to] = childrenOf(to);
        stack.push(to);
      }
    } else {
      stack.pop();
      order[node] = postorder.length;
      postorder.push(node);
      children[node] = undefined;
    }
  }
  const predecessors = Array.from({ length: count }, () => []);
  for (const node of postorder) {
    heap.edges(node, (to, type) => strong(type) && order[to] >= 0 && predecessors[to].push(node));
  }
  const root = 0;
  const idom = new Int32Array(count).fill(-1);
  idom[root] = root;
  const intersect = (a, b) => {
    while (a !== b) {
      while (order[a] < order[b]) a = idom[a];
      while (order[b] < order[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = postorder.length - 2; k >= 0; k--) {
      const node = postorder[k];
      let next = -1;
      for (const pred of predecessors[node]) {
        if (idom[pred] === -1) continue;
        next = next === -1 ? pred : intersect(pred, next);
      }
      if (next !== -1 && idom[node] !== next) {
        idom[node] = next;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(count);
  for (const node of postorder) retained[node] += heap.size(node);
  for (const node of postorder) if (node !== root) retained[idom[node]] += retained[node];
  return { retained, idom };
}

/** What a node is, for grouping: its constructor or function name, or its kind of string or array. */
export function kindOf(heap, i) {
  const type = heap.type(i);
  const name = heap.name(i);
  switch (type) {
    case 'object':
    case 'native':
      return name;
    case 'closure':
      return `closure ${name || '(anonymous)'}`;
    case 'hidden':
    case 'array':
    case 'synthetic':
      return `(${type}) ${name}`;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return `(${type})`;
    default:
      return `(${type})`;
  }
}

/**
 * What `after` holds beyond `before`, by kind: `{ kind: { count, size, retained } }`. `count` and
 * `size` are differences of totals, so objects replaced by others of their kind do not count
 * (nor do Node's native nodes, which get new ids in every snapshot); `retained` sums what each
 * object new in `after` retains (nested objects count again under their own kind). And the new
 * strings by their first 60 characters: `{ text: { count, size } }`.
 */
export function newObjects(before, after) {
  const known = new Set();
  const groups = {};
  const group = (kind) => (groups[kind] ??= { count: 0, size: 0, retained: 0 });
  for (let i = 0; i < before.count; i++) {
    known.add(before.id(i));
    const totals = group(kindOf(before, i));
    totals.count--;
    totals.size -= before.size(i);
  }
  const { retained } = retainedSizes(after);
  const strings = {};
  for (let i = 0; i < after.count; i++) {
    const kind = kindOf(after, i);
    const totals = group(kind);
    totals.count++;
    totals.size += after.size(i);
    if (known.has(after.id(i))) continue;
    totals.retained += retained[i];
    if (kind.endsWith('string)')) {
      const text = JSON.stringify(after.name(i).slice(0, 60));
      const same = (strings[text] ??= { count: 0, size: 0 });
      same.count++;
      same.size += after.size(i);
    }
  }
  return { groups, strings };
}
