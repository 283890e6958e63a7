// Review of the open topic: put it under review, the live vote map, my vote if I am a reviewer of
// the stream, the concluded result, and (for the stream's administrators) cancelling an open review. Buttons
// show only when the hub's rule (the SDK's topicStatusRefusal) lets this user do it.
import { topicStatusRefusal } from '@stage/sdk/im';
import { useReview, useStream, useTopic } from '@stage/sdk/react';
import { useChatSession } from '../chat/ChatSessionContext.js';
import { LoadNamesOf, PersonName } from './PersonName.js';

export function ReviewBar({ stream, topic }: { stream: string; topic: string }) {
  const chat = useChatSession();
  const info = useTopic(stream, topic);
  const streamInfo = useStream(stream);
  const result = useReview(stream, topic)?.conclusion;
  if (!streamInfo || !info) return null;
  const reviewers = streamInfo.reviewers;
  const amReviewer = reviewers.includes(chat.me.userId);
  const underReview = info.status === 'under_review';
  const myVote = info.votes[chat.me.userId];
  const admin = chat.administers(streamInfo);
  const mayStartReview = reviewers.length > 0 && topicStatusRefusal(info.status, 'under_review', admin) === undefined;

  return (
    <div className="review-bar" data-testid="review-bar" data-status={info.status}>
      <LoadNamesOf stream={streamInfo} people={reviewers} />
      {underReview ? (
        <>
          <span className="review-label">Under review</span>
          <ul className="votes" data-testid="votes">
            {reviewers.map((reviewer) => {
              const vote = info.votes[reviewer];
              return (
                <li key={reviewer} className={`vote vote-${vote ?? 'waiting'}`} data-testid="vote">
                  <PersonName userId={reviewer} />: {vote === 'yes' ? '✔ yes' : vote === 'no' ? '✘ no' : '… waiting'}
                </li>
              );
            })}
          </ul>
          {admin && (
            <button type="button" className="ghost small" onClick={() => void chat.setTopicStatus(stream, topic, 'discussion')} data-testid="cancel-review">
              Cancel review
            </button>
          )}
          {amReviewer && (
            <span className="vote-buttons">
              <button type="button" className={`small${myVote === 'yes' ? '' : ' ghost'}`} onClick={() => void chat.vote(stream, topic, 'yes')} data-testid="vote-yes">
                Vote yes
              </button>
              <button type="button" className={`small${myVote === 'no' ? '' : ' ghost'}`} onClick={() => void chat.vote(stream, topic, 'no')} data-testid="vote-no">
                Vote no
              </button>
            </span>
          )}
        </>
      ) : (
        <>
          {result ? (
            <span className={`review-result result-${result.result}`} data-testid="review-result">
              Review concluded: {result.result === 'complete' ? 'accepted (complete)' : 'rejected'} —{' '}
              {Object.values(result.votes).filter((vote) => vote === 'yes').length} yes, {Object.values(result.votes).filter((vote) => vote === 'no').length} no
            </span>
          ) : (
            <span className="review-label muted-text">{reviewers.length === 0 ? 'No reviewers for this stream' : `${reviewers.length} reviewer${reviewers.length === 1 ? '' : 's'}`}</span>
          )}
          {mayStartReview && (
            <button type="button" className="ghost small" onClick={() => void chat.setTopicStatus(stream, topic, 'under_review')} data-testid="start-review">
              Put under review
            </button>
          )}
        </>
      )}
    </div>
  );
}
