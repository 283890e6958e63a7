// Why the connection is not simply online, in words for the user (the ProblemBanner, the session panel).
import type { ConnectionInfo } from '@stage/sdk/im';

/** A sentence for the user about why the connection is not simply online, or undefined. */
export function problemOf(info: ConnectionInfo): string | undefined {
  if (info.stoppedBy === 4001) return 'Your sign-in expired. Sign out and sign in again.';
  if (info.stoppedBy === 4004) return 'This device connected again from another tab, so this tab stopped. Reload to take over.';
  if (info.stoppedBy === 4003) return 'This account may no longer connect.';
  if (info.lastClose?.code === 4005) {
    return `The hub could not verify this device's sealed session log: ${chainProblem(info.lastClose.reason)}. Nothing from that log was applied; this device started a fresh session and took its read positions and mutes from your account.`;
  }
  return undefined;
}

/** The hub's refusal (a close reason, cut to fit a close frame) in words: the ChainError code and entry. */
function chainProblem(reason: string): string {
  const detail = reason.replace(/^hub refused the chain: /, '');
  const [, code, what, entry] = /^([a-z_]+)(?::\s*(entry|checkpoint) (\d+))?/.exec(detail) ?? [];
  if (what === 'checkpoint') {
    // The sealed checkpoint the device kept instead of its older entries (PROTOCOL.md §5 "Checkpoints").
    return code === 'broken_seal'
      ? `its checkpoint at entry ${entry} does not match its seal, so it was altered after the hub sealed it`
      : `its checkpoint at entry ${entry} does not fit the log (${code})`;
  }
  switch (code) {
    case 'broken_seal':
      return entry ? `entry ${entry} does not match its seal, so it was altered after it was sealed` : 'an entry does not match its seal';
    case 'wrong_key':
      return 'it was sealed with a key the hub never gave this session';
    case 'gap':
      return entry ? `entries are missing before entry ${entry}` : 'entries are missing';
    case 'fork':
      return entry ? `entry ${entry} differs from the one the hub already accepted` : 'it differs from what the hub already accepted';
    case 'truncated':
    case 'missing':
      return 'the device could not send the whole log';
    default:
      return detail || 'the hub refused it';
  }
}

