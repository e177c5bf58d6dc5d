// Who the sandbox's integration user is and what the org around it enforces. The permissive org (the default) is
// a System Administrator in an org with Public Read/Write sharing and no automation: everything the connector asks
// works. The strict org is what a least-privilege deployment meets on day one, each behaviour from Salesforce's docs:
// - a user on *Minimum Access – API Only Integrations* holds only the permission sets it is given: no View Setup
//   and Configuration (`/limits` and `/limits/recordCount` refused, resources_limits.htm), and field-level security
//   hides every field without a field permission (describe leaves it out, SOQL says "No such column");
// - Data Protection and Privacy off: no Individual object and no IndividualId field; on, most people still have no
//   Individual record (IndividualId is null until someone creates one);
// - Private sharing: the user sees and edits the records it owns, or all of them with View All / Modify All;
// - a validation rule, an Apex trigger that throws (the whole DML chunk of 200 fails, apex_dml_bulk_exceptions),
//   duplicate rules (alert: saved with `Sforce-Duplicate-Rule-Header: allowSave=true`; block: never), row locks;
// - non-selective queries on large objects time out (QUERY_TIMEOUT), and a Bulk 2.0 query with ORDER BY loses PK
//   chunking and times out (bulk_api_2_0_troubleshoot_query_timeouts.htm);
// - the JWT bearer flow takes only `aud` = https://login.salesforce.com (or test/a community URL), and only for users
//   an admin pre-authorised ("user hasn't approved this consumer").
import { unitHash } from '../faults.ts';
import type { ObjectName } from './schema.ts';

export interface ObjectGrant {
  read: boolean;
  edit: boolean;
  viewAll: boolean;
  modifyAll: boolean;
}
export interface FieldGrant {
  readable: boolean;
  editable: boolean;
}

/** What the integration user's permission sets grant (Metadata API names, as in a `.permissionset-meta.xml`). */
export interface IntegrationPermissions {
  /** `ApiEnabled`, `ViewSetup`, … */
  userPermissions: readonly string[];
  objects: Readonly<Record<string, ObjectGrant>>;
  /** By `Object.Field`. */
  fields: Readonly<Record<string, FieldGrant>>;
}

export interface StrictOrgOptions {
  /** The integration user's permission sets (tests read them from manifests/salesforce). Default: none. */
  permissions?: IntegrationPermissions;
  /** Data Protection and Privacy enabled (the Individual object exists). Default false. */
  individual?: boolean;
  /** With Individual enabled: the share of people linked to an Individual record. Default 0.1. */
  individualLinked?: number;
  /** Private org-wide default: the share of records the integration user owns. Default 0.25; 1 = Public Read/Write. */
  owned?: number;
  /** Share of records a validation rule refuses to save. Default 0.01. */
  validationRule?: number;
  /** Share of records on which the Apex trigger throws, failing every record of their chunk. Default 0.002. */
  triggerThrows?: number;
  /** Shares of records a duplicate rule flags on save: `alert` (allowSave bypasses it) and `block`. */
  duplicates?: { alert?: number; block?: number };
  /** Share of records locked for their first two save attempts. Default 0.01. */
  locked?: number;
  /**
   * A REST query without a selective filter on an object with more records than this times out (the Apex limit for
   * non-selective queries is 200,000 rows; REST queries run into the 2-minute timeout instead). Default 200,000.
   */
  nonSelectiveLimit?: number;
  /** A Bulk 2.0 query job with ORDER BY over more records than this fails with a timeout. Default 200,000. */
  bulkOrderByLimit?: number;
  /** Usernames pre-authorised for the JWT bearer flow; default: any. */
  jwtUsers?: readonly string[];
  /** Seed of the hash that picks records for the rules above. */
  seed?: string;
}

/** The resolved behaviour of the org; `strict: false` is the permissive org. */
export interface OrgProfile {
  strict: boolean;
  permissions: IntegrationPermissions | undefined;
  individual: boolean;
  individualLinked: number;
  owned: number;
  validationRule: number;
  triggerThrows: number;
  duplicateAlert: number;
  duplicateBlock: number;
  locked: number;
  nonSelectiveLimit: number;
  bulkOrderByLimit: number;
  jwtUsers: readonly string[] | undefined;
  seed: string;
}

export const PERMISSIVE_PROFILE: OrgProfile = {
  strict: false,
  permissions: undefined,
  individual: true,
  individualLinked: 1,
  owned: 1,
  validationRule: 0,
  triggerThrows: 0,
  duplicateAlert: 0,
  duplicateBlock: 0,
  locked: 0,
  nonSelectiveLimit: Infinity,
  bulkOrderByLimit: Infinity,
  jwtUsers: undefined,
  seed: 'org',
};

export function strictProfile(options: StrictOrgOptions = {}): OrgProfile {
  return {
    strict: true,
    permissions: options.permissions ?? { userPermissions: [], objects: {}, fields: {} },
    individual: options.individual ?? false,
    individualLinked: options.individualLinked ?? 0.1,
    owned: options.owned ?? 0.25,
    validationRule: options.validationRule ?? 0.01,
    triggerThrows: options.triggerThrows ?? 0.002,
    duplicateAlert: options.duplicates?.alert ?? 0.01,
    duplicateBlock: options.duplicates?.block ?? 0.005,
    locked: options.locked ?? 0.01,
    nonSelectiveLimit: options.nonSelectiveLimit ?? 200_000,
    bulkOrderByLimit: options.bulkOrderByLimit ?? 200_000,
    jwtUsers: options.jwtUsers,
    seed: options.seed ?? 'strict-org',
  };
}

/** Whether the record with this id is one of the `share` picked for `rule` (stable for a seed). */
export function picked(profile: OrgProfile, rule: string, id: string, share: number): boolean {
  return share > 0 && unitHash(`${id}|${rule}|${profile.seed}`) < share;
}

/** Read access to an object (a System Administrator in the permissive org reads everything). */
export function canReadObject(profile: OrgProfile, object: ObjectName): boolean {
  if (object === 'Individual' && !profile.individual) return false;
  if (!profile.permissions) return true;
  return profile.permissions.objects[object]?.read === true;
}

export function hasUserPermission(profile: OrgProfile, name: string): boolean {
  return !profile.permissions || profile.permissions.userPermissions.includes(name);
}
