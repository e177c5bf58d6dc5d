import type { Network } from '../scoring/types.ts';

/** A normalised account on one network, ready for a provider look-up. */
export interface Identity {
  network: Network;
  /** Canonical handle as the provider expects it (lowercased where the network is case-insensitive). */
  handle: string;
  provenance: 'crm-field' | 'discovered';
  /** The CRM field it came from, for explanations and error reports. */
  sourceField?: string;
}

export interface RejectedHandle {
  sourceField: string;
  value: string;
  /** Machine-readable reason, e.g. `unknown_network`, `invalid_grammar`, `empty`. */
  reason: string;
}
