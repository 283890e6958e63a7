// The signed-in chat store, handed down the component tree.
import { createContext, useContext } from 'react';
import type { ChatStore } from './ChatStore.js';

export const ChatContext = createContext<ChatStore | undefined>(undefined);

export function useChat(): ChatStore {
  const store = useContext(ChatContext);
  if (!store) throw new Error('useChat() needs a <ChatContext.Provider> above it');
  return store;
}
