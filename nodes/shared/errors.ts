/** Error text for status and logs, whatever was thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  const e = err as { message?: unknown } | null;
  return e && typeof e.message === 'string' ? e.message : String(err);
}
