// The English text of a validation issue, for the refusals ImClient makes before sending (ImError bad_schema).
// zod/mini loads no locale, so without this every size or type problem would read "Invalid input"; the whole English
// locale costs ~1 KB gzip, these few lines (the issues the protocol's schemas raise, worded as zod's English locale
// words them) a few hundred bytes. Messages a schema sets itself ("must not contain control characters") still win.
import type { core } from 'zod/mini';

const units: Partial<Record<string, string>> = { string: 'characters', array: 'items' };

function outOfBounds(problem: string, origin: string, comparison: string, limit: number | bigint): string {
  const unit = units[origin];
  return `${problem}: expected ${origin} to ${unit ? `have ${comparison}${limit} ${unit}` : `be ${comparison}${limit}`}`;
}

/** An error map for `safeParse(schema, value, { error: issueMessage })`; undefined leaves an issue to zod. */
export function issueMessage(issue: core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'too_big':
      return outOfBounds('Too big', issue.origin, issue.exact ? 'exactly ' : issue.inclusive ? '<=' : '<', issue.maximum);
    case 'too_small':
      return outOfBounds('Too small', issue.origin, issue.exact ? 'exactly ' : issue.inclusive ? '>=' : '>', issue.minimum);
    case 'invalid_type':
      return `Invalid input: expected ${issue.expected}`;
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    case 'invalid_value':
      return `Invalid option: expected one of ${issue.values.map((value) => JSON.stringify(value)).join('|')}`;
    default:
      return undefined;
  }
}
