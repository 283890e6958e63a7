// One string key per (stream, topic), for maps and React keys. A NUL cannot appear in either name.
export function topicKey(stream: string, topic: string): string {
  return `${stream}\u0000${topic}`;
}

export function splitTopicKey(key: string): { stream: string; topic: string } {
  const at = key.indexOf('\u0000');
  return { stream: key.slice(0, at), topic: key.slice(at + 1) };
}
