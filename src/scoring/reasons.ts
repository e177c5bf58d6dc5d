// Reason codes: a closed list, so a CRM can hold them in a multi-select picklist and rev-ops can report on them.
export const REASON_CODES = [
  // what lifts the score
  'STRONG_AMPLIFICATION', // median weighted reactions per post ≥ 60 on the amplification scale
  'HIGH_ENGAGEMENT', // engagement at least 2× typical for the account's size
  'LARGE_REACH', // reach ≥ 60 on its scale
  // authenticity flags (each multiplies the network's sub-score down)
  'FOLLOW_BACK_PATTERN',
  'YOUNG_ACCOUNT',
  'AUTOMATION_RATE',
  'BOUGHT_FOLLOWERS_PATTERN',
  'IMPLAUSIBLE_ENGAGEMENT', // engagement above the plausible ceiling: the excess is not counted
  // data quality
  'FEW_RECENT_POSTS', // fewer than 3 original posts in the window: judged mostly on reach
  'INACTIVE', // no original post in the window
  'FOLLOWERS_HIDDEN',
  'STALE_DATA',
  'UNVERIFIED_HANDLE',
  'YOUTUBE_SEPARATE', // YouTube scored on its own, not in the total
  'NO_IDENTITY', // no network to score: Unscored
  // tier rules
  'TIER_HELD', // hysteresis kept the previous tier
  'TIER_A_NEEDS_VERIFIED', // tier A needs medium+ confidence and a verified handle on the top network
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];
