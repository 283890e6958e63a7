// Folds the SDK's inspection stream (spawned / started / exited / restarted / escalated /
// dead-lettered events) into the current supervision tree, for the inspector panel to draw.
import type { InspectionEvent } from '@stage/sdk';

export interface InspectedNode {
  id: string;
  parentId: string | undefined;
  name: string;
  kind: string;
  status: 'starting' | 'running' | 'restarting' | 'exited' | 'escalated';
  restarts: number;
  deadLetters: number;
  lastReason?: string;
}

export type InspectionTree = ReadonlyMap<string, InspectedNode>;

export function applyInspection(tree: InspectionTree, event: InspectionEvent): InspectionTree {
  const next = new Map(tree);
  const node = next.get(event.id);
  switch (event.type) {
    case 'spawned':
      next.set(event.id, { id: event.id, parentId: event.parentId, name: event.name, kind: event.kind, status: 'starting', restarts: 0, deadLetters: 0 });
      break;
    case 'started':
      if (node) next.set(event.id, { ...node, status: 'running', restarts: Math.max(node.restarts, event.attempt) });
      break;
    case 'restarted':
      if (node) next.set(event.id, { ...node, status: 'restarting', restarts: event.attempt });
      break;
    case 'exited':
      if (event.final) next.delete(event.id);
      else if (node) next.set(event.id, { ...node, status: 'exited', lastReason: String(event.reason) });
      break;
    case 'escalated':
      if (node) next.set(event.id, { ...node, status: 'escalated' });
      break;
    case 'dead-lettered':
      if (node) next.set(event.id, { ...node, deadLetters: node.deadLetters + 1 });
      break;
  }
  return next;
}

export function childrenOf(tree: InspectionTree, parentId: string | undefined): InspectedNode[] {
  return [...tree.values()].filter((node) => node.parentId === parentId || (parentId === undefined && node.parentId !== undefined && !tree.has(node.parentId)));
}
