// A username field with the hub's people as suggestions (SearchUsers by prefix, as the user types): the people
// list and autocomplete for adding members and appointing reviewers. A native datalist: keyboard and screen
// readers work as with any input.
import { useEffect, useId, useState } from 'react';
import type { UserRef } from '@stage/sdk/im';
import { useChatSession } from '../chat/ChatSessionContext.js';

export function PersonInput({ value, onChange, label, testId }: { value: string; onChange: (value: string) => void; label: string; testId: string }) {
  const chat = useChatSession();
  const listId = useId();
  const [people, setPeople] = useState<readonly UserRef[]>([]);
  const prefix = value.trim().toLowerCase();
  useEffect(() => {
    let current = true;
    chat.searchUsers(prefix).then((found) => current && setPeople(found), () => undefined);
    return () => {
      current = false;
    };
  }, [chat, prefix]);
  return (
    <>
      <input
        value={value}
        onChange={(event) => onChange(event.target.value)}
        placeholder="username"
        aria-label={label}
        list={listId}
        autoComplete="off"
        data-testid={testId}
      />
      <datalist id={listId} data-testid={`${testId}-suggestions`}>
        {people
          .filter((person) => person.userId !== chat.me.userId)
          .map((person) => (
            <option key={person.userId} value={person.username} />
          ))}
      </datalist>
    </>
  );
}
