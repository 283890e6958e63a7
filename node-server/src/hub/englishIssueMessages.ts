// The hub's refusal texts (Err bad_schema, HTTP 400) quote zod's issue message: "command.limit: Too big: expected
// number to be <=20". The protocol schemas are zod/mini, which loads no locale (its messages would all read "Invalid
// input"); classic zod sets English only once a classic schema is built. Setting it explicitly keeps the hub's texts
// English whatever modules it happens to load.
import { config, locales } from 'zod';

export function useEnglishIssueMessages(): void {
  config(locales.en());
}
