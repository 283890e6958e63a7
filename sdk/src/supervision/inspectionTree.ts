// Folds the inspection stream into the current tree: what a live view (the web demo) renders.
// `foldInspection` is the pure reducer; `inspectionTree()` the RxJS operator around it.
import { map, scan, type OperatorFunction } from 'rxjs';
import type { Exit } from './Exit.js';
import type { InspectionEvent, NodeKind } from './InspectionEvent.js';

export type NodeStatus = 'spawned' | 'running' | 'restarting' | 'exited';

/** One node as last seen. */
export interface InspectedNode {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly kind: NodeKind;
  readonly name: string;
  readonly status: NodeStatus;
  readonly restarts: number;
  readonly deadLetters: number;
  readonly lastExit?: Exit | undefined;
}

/** A node with its children, in spawn order. */
export interface TreeNode extends InspectedNode {
  readonly children: ReadonlyArray<TreeNode>;
}

/** The flat state: node id -> node, in spawn order. */
export type InspectionState = ReadonlyMap<string, InspectedNode>;

export const EMPTY_INSPECTION: InspectionState = new Map();

/** Pure reducer: the state after `event`. Nodes whose run ended for good (`final`) leave the tree. */
export function foldInspection(state: InspectionState, event: InspectionEvent): InspectionState {
  const node = state.get(event.id);
  switch (event.type) {
    case 'spawned': {
      const next = new Map(state);
      next.set(event.id, { id: event.id, parentId: event.parentId, kind: event.kind, name: event.name, status: 'spawned', restarts: 0, deadLetters: 0 });
      return next;
    }
    case 'started':
      return node === undefined ? state : replace(state, { ...node, status: 'running' });
    case 'restarted':
      return node === undefined ? state : replace(state, { ...node, status: 'restarting', restarts: node.restarts + 1 });
    case 'exited': {
      if (node === undefined) return state;
      if (!event.final) {
        const lastExit: Exit = event.reason === 'failed' ? { reason: event.reason, cause: event.cause } : { reason: event.reason };
        return replace(state, { ...node, status: 'exited', lastExit });
      }
      const next = new Map(state);
      removeSubtree(next, event.id);
      return next;
    }
    case 'dead-lettered':
      return node === undefined ? state : replace(state, { ...node, deadLetters: node.deadLetters + 1 });
    case 'escalated':
      return state;
  }
}

/** The roots (nodes without a live parent) with their children nested. */
export function toTree(state: InspectionState): TreeNode[] {
  const children = new Map<string | undefined, InspectedNode[]>();
  for (const node of state.values()) {
    const parent = node.parentId !== undefined && state.has(node.parentId) ? node.parentId : undefined;
    let list = children.get(parent);
    if (list === undefined) children.set(parent, (list = []));
    list.push(node);
  }
  const build = (node: InspectedNode): TreeNode => ({ ...node, children: (children.get(node.id) ?? []).map(build) });
  return (children.get(undefined) ?? []).map(build);
}

/** `system.inspect$.pipe(inspectionTree())`: the current tree after every event. */
export function inspectionTree(): OperatorFunction<InspectionEvent, TreeNode[]> {
  return (source) => source.pipe(scan(foldInspection, EMPTY_INSPECTION), map(toTree));
}

function replace(state: InspectionState, node: InspectedNode): InspectionState {
  const next = new Map(state);
  next.set(node.id, node);
  return next;
}

function removeSubtree(state: Map<string, InspectedNode>, id: string): void {
  state.delete(id);
  for (const node of [...state.values()]) if (node.parentId === id) removeSubtree(state, node.id);
}
