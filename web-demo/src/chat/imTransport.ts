// PLACEHOLDER until ImClient lands: adapts the SDK's ImClient to the ChatTransport seam.
import type { ChatTransport } from './ChatTransport.js';

export interface ImTransportConfig {
  token: string;
  userId: string;
  deviceId: string;
}

export function openImTransport(_config: ImTransportConfig): ChatTransport {
  throw new Error('ImClient has not landed yet');
}
