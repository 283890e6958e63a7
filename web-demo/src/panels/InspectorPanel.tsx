// The live supervision tree of this page's client, drawn from the SDK's inspection stream.
import { useMemo } from 'react';
import { inspectionTree, type TreeNode } from '@stage/sdk';
import { useObservable } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';

const noNodes: TreeNode[] = [];

export function InspectorPanel() {
  const chat = useChatSession();
  const tree$ = useMemo(() => chat.inspect$.pipe(inspectionTree()), [chat]);
  const roots = useObservable(tree$, noNodes);
  return (
    <section className="panel" aria-label="Inspector" data-testid="inspector-panel">
      <h2 tabIndex={-1}>Inspector</h2>
      {roots.length === 0 ? (
        <p className="muted-text">No supervised nodes yet.</p>
      ) : (
        <ul className="tree">
          {roots.map((node) => (
            <TreeItem key={node.id} node={node} />
          ))}
        </ul>
      )}
      <p className="hint">Live from the SDK's inspection stream: the page's connection, sync, read marking, history workers and title actor, with restarts and exits.</p>
    </section>
  );
}

function TreeItem({ node }: { node: TreeNode }) {
  return (
    <li data-testid="inspected-node" data-kind={node.kind} data-name={node.name}>
      <span className={`node node-${node.status}`}>
        <span className="node-kind">{node.kind}</span> {node.name}
        <span className="node-status">{node.status}</span>
        {node.restarts > 0 && <span className="node-restarts">↻ {node.restarts}</span>}
        {node.deadLetters > 0 && <span className="node-dead">✉ {node.deadLetters}</span>}
      </span>
      {node.children.length > 0 && (
        <ul>
          {node.children.map((child) => (
            <TreeItem key={child.id} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}
