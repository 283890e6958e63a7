// The live supervision tree of this page's client, drawn from the SDK's inspection stream.
import { useMemo } from 'react';
import { scan } from 'rxjs';
import { useObservable } from '@stage/sdk/react';
import { useChat } from '../chat/ChatContext.js';
import { applyInspection, childrenOf, type InspectedNode, type InspectionTree } from '../inspector/inspectionTree.js';

const empty: InspectionTree = new Map();

export function InspectorPanel() {
  const chat = useChat();
  const tree$ = useMemo(() => chat.transport.inspect$.pipe(scan(applyInspection, empty)), [chat]);
  const tree = useObservable(tree$, empty);
  const roots = childrenOf(tree, undefined);
  return (
    <section className="panel" aria-label="Inspector" data-testid="inspector-panel">
      <h2>Inspector</h2>
      {roots.length === 0 ? <p className="muted-text">No supervised nodes yet.</p> : <ul className="tree">{roots.map((node) => <TreeNode key={node.id} tree={tree} node={node} />)}</ul>}
      <p className="hint">Live from the SDK's inspection stream: spawns, restarts, exits and escalations of the client's supervision tree.</p>
    </section>
  );
}

function TreeNode({ tree, node }: { tree: InspectionTree; node: InspectedNode }) {
  const children = childrenOf(tree, node.id);
  return (
    <li data-testid="inspected-node" data-kind={node.kind}>
      <span className={`node node-${node.status}`}>
        <span className="node-kind">{node.kind}</span> {node.name}
        <span className="node-status">{node.status}</span>
        {node.restarts > 0 && <span className="node-restarts">↻ {node.restarts}</span>}
        {node.deadLetters > 0 && <span className="node-dead">✉ {node.deadLetters}</span>}
      </span>
      {children.length > 0 && (
        <ul>
          {children.map((child) => (
            <TreeNode key={child.id} tree={tree} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}
