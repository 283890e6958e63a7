// The polls of the open topic (the hub's example poll extension): one card per poll with its question and one
// button per option showing its count; the user's own choice is the pressed button. Counts move live for every
// member (pollUpdated events); clicking another option changes the vote.
import { useMemo } from 'react';
import { useObservable } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { PersonName } from './PersonName.js';
import type { Poll } from '../chat/pollExtension.js';

const noPolls: readonly Poll[] = [];

export function PollList({ stream, topic }: { stream: string; topic: string }) {
  const chat = useChatSession();
  const polls$ = useMemo(() => chat.polls.pollsOf$(stream, topic), [chat, stream, topic]);
  const polls = useObservable(polls$, noPolls);
  if (polls.length === 0) return null;
  return (
    <section className="polls" aria-label="Polls" data-testid="polls">
      {polls.map((poll) => (
        <PollCard key={poll.pollId} poll={poll} />
      ))}
    </section>
  );
}

function PollCard({ poll }: { poll: Poll }) {
  const chat = useChatSession();
  const mine = poll.votes[chat.me.userId];
  const total = poll.counts.reduce((sum, count) => sum + count, 0);
  const questionId = `poll-${poll.pollId}-question`;
  return (
    <article className="poll" aria-labelledby={questionId} data-testid="poll" data-poll-id={poll.pollId}>
      <h2 className="poll-question" id={questionId}>
        {poll.question}
      </h2>
      <p className="poll-meta">
        Poll by <PersonName userId={poll.createdBy} /> · {votes(total)}
        {mine === undefined ? '' : ' · you voted'}
      </p>
      <div className="poll-options" role="group" aria-labelledby={questionId}>
        {poll.options.map((option, index) => {
          const count = poll.counts[index] ?? 0;
          const chosen = mine === index;
          return (
            <button
              key={index}
              type="button"
              className={`small poll-option${chosen ? '' : ' ghost'}`}
              // The count is part of the name ("Pizza, 2 votes"): a screen reader hears it with the option, in words.
              aria-label={`${option}, ${votes(count)}`}
              aria-pressed={chosen}
              onClick={() => void chat.polls.vote(poll, index)}
              data-testid="poll-option"
            >
              {option}
              <span className="poll-count" data-testid="poll-count">
                {count}
              </span>
            </button>
          );
        })}
      </div>
    </article>
  );
}

function votes(count: number): string {
  return `${count} ${count === 1 ? 'vote' : 'votes'}`;
}
