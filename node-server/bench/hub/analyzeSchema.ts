// ANALYZE after a benchmark's bulk-loaded fixture, as PostgreSQL's docs advise: without statistics the planner reads
// the whole group_members table for every message's audience (docs/SCALE-OUT.md, "Planner statistics").
import type pg from 'pg';

/** One ANALYZE of every table in `schema`. */
export async function analyzeSchema(client: pg.Client, schema: string): Promise<void> {
  const { rows } = await client.query<{ table: string }>('SELECT tablename AS "table" FROM pg_tables WHERE schemaname = $1', [schema]);
  if (rows.length > 0) await client.query(`ANALYZE ${rows.map(({ table }) => `"${schema}"."${table}"`).join(', ')}`);
}
