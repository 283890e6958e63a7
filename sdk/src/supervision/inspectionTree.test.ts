// Folding the inspection stream into the live tree the web demo draws.
import { firstValueFrom, Observable, Subject, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSystem, foldInspection, inspectionTree, toTree, EMPTY_INSPECTION, type TreeNode, type InspectionEvent } from './index.js';

const shape = (nodes: ReadonlyArray<TreeNode>): unknown[] =>
  nodes.map((n) => ({ id: n.id, kind: n.kind, status: n.status, restarts: n.restarts, children: shape(n.children) }));

describe('inspectionTree', () => {
  it('folds the stream into the current tree: restarts counted, finished nodes removed', async () => {
    const system = createSystem({ name: 'demo' });
    const crash = new Subject<void>();
    const trees: TreeNode[][] = [];
    system.inspect$.pipe(inspectionTree()).subscribe((t) => trees.push(t));
    const sup = system.supervisor({
      name: 'sup',
      children: [
        { id: 'w', group: () => new Observable<never>((s) => crash.subscribe(() => s.error(new Error('x')))), config: { size: 2, intensity: { maxRestarts: 10 } }, shutdownTimeoutMs: 0 },
        { id: 'once', restart: 'temporary', task: () => Promise.resolve() },
      ],
    });
    const restarted = firstValueFrom(system.inspect$.pipe(filter((e) => e.type === 'started' && e.id === 'demo/sup/w/1' && e.attempt === 1)));
    crash.next();
    await restarted;
    expect(shape(trees.at(-1)!)).toEqual([
      {
        id: 'demo',
        kind: 'system',
        status: 'running',
        restarts: 0,
        children: [
          {
            id: 'demo/sup',
            kind: 'supervisor',
            status: 'running',
            restarts: 0,
            children: [
              {
                id: 'demo/sup/w',
                kind: 'group',
                status: 'running',
                restarts: 0,
                children: [
                  { id: 'demo/sup/w/0', kind: 'task', status: 'running', restarts: 1, children: [] },
                  { id: 'demo/sup/w/1', kind: 'task', status: 'running', restarts: 1, children: [] },
                ],
              },
            ],
          },
        ],
      },
    ]);
    await sup.shutdown();
    expect(shape(trees.at(-1)!)).toEqual([{ id: 'demo', kind: 'system', status: 'running', restarts: 0, children: [] }]);
  });

  it('is a pure reducer: the previous state is never changed', () => {
    const spawned: InspectionEvent = { type: 'spawned', id: 'a', parentId: undefined, kind: 'actor', name: 'a', at: 0 };
    const s1 = foldInspection(EMPTY_INSPECTION, spawned);
    const s2 = foldInspection(s1, { type: 'started', id: 'a', parentId: undefined, attempt: 0, at: 1 });
    const s3 = foldInspection(s2, { type: 'dead-lettered', id: 'a', parentId: undefined, message: 1, deliveries: 3, cause: 'x', at: 2 });
    expect(s1.get('a')!.status).toBe('spawned');
    expect(s2.get('a')!.status).toBe('running');
    expect(s3.get('a')!.deadLetters).toBe(1);
    expect(toTree(s3)).toHaveLength(1);
    expect(EMPTY_INSPECTION.size).toBe(0);
  });
});
