// The signed-in page's ChatSession, handed down the component tree (the IM state itself comes from
// @stage/sdk/react's hooks under <ImClientProvider>).
import { createContext, useContext } from 'react';
import type { ChatSession } from './ChatSession.js';

export const ChatSessionContext = createContext<ChatSession | undefined>(undefined);

export function useChatSession(): ChatSession {
  const session = useContext(ChatSessionContext);
  if (!session) throw new Error('useChatSession() needs a <ChatSessionContext.Provider> above it');
  return session;
}
