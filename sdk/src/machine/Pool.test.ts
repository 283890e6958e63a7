// Pools of idle machines: machines put themselves back on reaching idle; take() reuses them or
// spawns new ones up to `max`.
import { describe, expect, it } from 'vitest';
import { defineMachine, Engine, MachineError, Pool, type Machine } from './index.js';

interface JobMsgs {
  M0: void;
  M1: string;
}
interface JobData {
  readonly pool: Pool<Job>;
  done: string[];
}
type Job = Machine<JobMsgs, JobData, 'INIT' | 'IDLE' | 'WORK'>;

const job = defineMachine<JobMsgs, JobData>()({
  kind: 'JOB',
  initial: 'INIT',
  states: {
    INIT: { enter: (me) => me.msgTo(me, 'M0'), M0: (me) => me.goto('IDLE') },
    IDLE: { enter: (me) => me.data.pool.put(me), M1: (me, task) => { me.data.done.push(task); me.goto('WORK'); } },
    WORK: { M0: (me) => me.goto('IDLE') },
  },
});

function setup(max?: number): { engine: Engine; pool: Pool<Job> } {
  const engine = new Engine();
  const pool: Pool<Job> = new Pool({ spawn: () => engine.spawn(job, { pool, done: [] }), ...(max === undefined ? {} : { max }) });
  return { engine, pool };
}

describe('Pool', () => {
  it('spawns when empty and hands the machine out only once, even though it reaches idle later', async () => {
    const { engine, pool } = setup();
    const first = pool.take();
    engine.msgTo(first, 'M1', 'a'); // queued behind its INIT → IDLE
    await engine.whenIdle();
    expect(first.state).toBe('WORK');
    expect(first.data.done).toEqual(['a']);
    expect(pool.idle).toBe(0);
    const second = pool.take();
    expect(second).not.toBe(first);
    expect(pool.size).toBe(2);
  });

  it('reuses a machine that returned to idle, most recent first', async () => {
    const { engine, pool } = setup();
    pool.prefill(2);
    await engine.whenIdle();
    expect(pool.idle).toBe(2);
    const a = pool.take();
    engine.msgTo(a, 'M1', 'x');
    engine.msgTo(a, 'M0');
    await engine.whenIdle();
    expect(a.state).toBe('IDLE');
    expect(pool.take()).toBe(a);
    expect(pool.size).toBe(2);
  });

  it('refuses with POOL_EXHAUSTED when max machines are out, and tryTake says undefined', () => {
    const { pool } = setup(1);
    pool.take();
    expect(pool.tryTake()).toBeUndefined();
    expect(() => pool.take()).toThrow(MachineError);
    expect(() => pool.take()).toThrow(/all 1 machines are busy/);
  });

  it('rejects putting the same idle machine back twice', async () => {
    const { engine, pool } = setup();
    pool.prefill(1);
    await engine.whenIdle();
    const [machine] = engine.machines as Job[];
    expect(() => pool.put(machine!)).toThrow(/already idle/);
    expect(pool.idle).toBe(1);
  });
});
