// Identity resolution: CRM handle fields → per-network identities (see extract.ts).
export type { Identity, RejectedHandle } from './types.ts';
export type { RejectReason } from './grammar.ts';
export { handleFor } from './grammar.ts';
export { parseProfileUrl, looksLikeUrl } from './profile-url.ts';
export { resolveIdentities, resolveRawHandles, extractFromValue, type ResolvedIdentities } from './extract.ts';
