// Placeholder until the Stage hub accepts logins: no Stage figures yet.
export async function stageRuns(): Promise<Record<string, never>> {
  console.log('[bench:hub] Stage hub not wired yet');
  return {};
}
