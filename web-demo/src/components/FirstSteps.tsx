// What a new user sees instead of the technical session panel: the steps to a first conversation, each ticked off
// as it is done (in a group, a stream, a topic), each with the button that does it.
import { useGroups, useObservable, useStreams, useTopics } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';

export function FirstSteps({ username, onOpenPanel }: { username: string; onOpenPanel: (panel: 'groups' | 'streams') => void }) {
  const ready = useObservable(useChatSession().ready$);
  const groups = useGroups();
  const streams = useStreams();
  const topics = useTopics();
  const steps = [
    { done: groups.length > 0, text: 'Create a group for your team, and add the people you work with.', action: 'Open groups', panel: 'groups' as const },
    { done: streams.length > 0, text: 'Create a stream visible to the group: a channel such as “design” or “launch”.', action: 'Open streams', panel: 'streams' as const },
    { done: topics.length > 0, text: 'Start a topic: type its name under the stream in the list, then write the first message.' },
  ];
  return (
    <div className="welcome" data-testid="first-steps">
      <h1>Welcome, {username}</h1>
      {!ready ? (
        <p role="status">Loading your streams and topics…</p>
      ) : steps.every((step) => step.done) ? (
        <p>Pick a topic from the list to read and write.</p>
      ) : (
        <>
          <p>Three steps to your first conversation:</p>
          <ol className="steps">
            {steps.map((step, index) => (
              <li key={index} className={step.done ? 'done' : ''} data-testid="first-step" data-done={step.done}>
                <span className="step-mark" aria-hidden="true">
                  {step.done ? '✔' : index + 1}
                </span>
                <span className="step-text">
                  {step.text}
                  {step.done && <span className="visually-hidden"> (done)</span>}
                </span>
                {step.panel && !step.done && (
                  <button type="button" className="small" onClick={() => onOpenPanel(step.panel)} data-testid={`first-step-${step.panel}`}>
                    {step.action}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
