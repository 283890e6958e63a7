// Message text as a safe markdown subset (markdown-it): emphasis, code spans and fenced code blocks, lists,
// quotes, headings and links. Raw HTML is disabled (it is shown as text), images are off (no requests to
// hosts a sender picks), markdown-it's link validation drops javascript:/vbscript:/file:/data: URLs, and
// every link opens in a new tab with rel="noopener noreferrer nofollow".
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt('default', { html: false, linkify: true, breaks: true, typographer: false });
md.disable(['image']);

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
md.renderer.rules.link_open = (tokens, index, options, env, self) => {
  const token = tokens[index]!;
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, index, options, env, self);
};

/** HTML for a message's text; safe to insert (no raw HTML passes through). */
export function renderMarkdown(text: string): string {
  return md.render(text);
}
