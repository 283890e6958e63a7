// decodeURIComponent that answers a malformed % escape with 400 instead of a URIError (a 500 and a stack trace).
import { HttpError } from './HttpError.js';

export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad_frame', 'malformed % escape in the path');
  }
}
