// X ids are snowflakes: the bits above the low 22 are milliseconds since X's epoch, so an id says when it was made
// (docs.x.com/resources/fundamentals/x-ids). That lets the adapter tell a dormant account from its profile alone and
// bound a timeline read by time with `since_id`, without reading a post to learn its date.

/** 2010-11-04T01:42:54.657Z, the zero of X's snowflake clock. */
export const X_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657;
const SNOWFLAKE = /^\d{1,19}$/;

/** When the post (or account) with this id was made, in epoch ms; null for an id that is not a snowflake. */
export function snowflakeTime(id: string): number | null {
  if (!SNOWFLAKE.test(id)) return null;
  const ms = Number(BigInt(id) >> 22n) + X_SNOWFLAKE_EPOCH_MS;
  // Ids from before snowflakes (2010) are small sequence numbers: their top bits say nothing about time.
  return ms > X_SNOWFLAKE_EPOCH_MS ? ms : null;
}

/** The smallest snowflake made at `ms`: as `since_id`, it keeps posts made at `ms` or later (and 0–1 ms before). */
export function snowflakeAt(ms: number): string {
  const since = Math.max(0, Math.floor(ms) - X_SNOWFLAKE_EPOCH_MS);
  return (BigInt(since) << 22n).toString();
}
