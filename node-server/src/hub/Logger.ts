// Structured logs: one JSON line per event on stdout, `{ time, level, msg, ...fields }`, filtered by level.
// Fields are made JSON-safe before writing, so logging never throws and never loses the part of an error that says
// what happened: an Error keeps its name, message, code, stack, cause (recursively) and other own fields (errno,
// syscall, address, PostgreSQL's detail); a BigInt becomes its decimal string; a cycle becomes "[Circular]"; bytes
// become their length; nesting deeper than 8 becomes "[Object]".
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const maxDepth = 8;

/** A copy of `value` that JSON.stringify writes in full and without throwing. */
function toLogValue(value: unknown, ancestors: object[] = [], depth = 0): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.includes(value)) return '[Circular]';
  if (depth >= maxDepth) return Array.isArray(value) ? '[Array]' : '[Object]';
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  const inner = [...ancestors, value];
  const next = (v: unknown) => toLogValue(v, inner, depth + 1);
  if (Array.isArray(value)) return value.map(next);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), next(v)]));
  if (value instanceof Set) return [...value].map(next);
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.name = value.name;
    out.message = value.message;
    if (value.stack) out.stack = value.stack;
    if (value.cause !== undefined) out.cause = next(value.cause);
    if (value instanceof AggregateError) out.errors = next(value.errors);
  }
  for (const [key, field] of Object.entries(value)) if (!(key in out)) out[key] = next(field);
  return out;
}

export class Logger {
  constructor(
    readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  child(bindings: Record<string, unknown>): Logger {
    return new Logger(this.level, this.write, { ...this.bindings, ...bindings });
  }

  private log(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void {
    if (rank[level] < rank[this.level]) return;
    const entry = { time: new Date().toISOString(), level, msg, ...this.bindings, ...fields };
    let line: string;
    try {
      line = JSON.stringify(toLogValue(entry));
    } catch (e) {
      // A getter that throws, a toJSON that throws: the event is still written, with why its fields are not.
      line = JSON.stringify({ time: entry.time, level, msg, logError: `fields not serializable: ${e instanceof Error ? e.message : String(e)}` });
    }
    this.write(line);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.log('error', msg, fields);
  }
}
