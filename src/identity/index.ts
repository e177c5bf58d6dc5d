// Identity resolution: CRM handle fields → per-network identities (see extract.ts).
export { extractFromValue, type ResolvedIdentities, resolveIdentities, resolveRawHandles } from './extract.ts';
export type { RejectReason } from './grammar.ts';
export { handleFor } from './grammar.ts';
export { looksLikeUrl, parseProfileUrl } from './profile-url.ts';
export type { Identity, RejectedHandle } from './types.ts';
