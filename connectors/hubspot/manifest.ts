// The influence property group and properties as declared in manifests/hubspot (the single source of truth).
import { readFileSync } from 'node:fs';

import { z } from 'zod';

import { describeIssues } from '../../src/zod-issues.ts';

const OptionSchema = z.object({
  label: z.string(),
  value: z.string(),
  displayOrder: z.number().int().optional(),
  hidden: z.boolean().optional(),
  description: z.string().optional(),
});

export const PropertyDefinitionSchema = z.looseObject({
  name: z.string().min(1),
  label: z.string().min(1),
  groupName: z.string().min(1),
  type: z.string().min(1),
  fieldType: z.string().min(1),
  options: z.array(OptionSchema).optional(),
});
export type PropertyDefinition = z.infer<typeof PropertyDefinitionSchema>;

export const PropertyManifestSchema = z.object({
  group: z.object({ name: z.string().min(1), label: z.string().min(1), displayOrder: z.number().int().optional() }),
  properties: z.array(PropertyDefinitionSchema).min(1),
});
export type PropertyManifest = z.infer<typeof PropertyManifestSchema>;

export const DEFAULT_MANIFEST_PATH = new URL(
  '../../manifests/hubspot/properties/influence-properties.json',
  import.meta.url,
);

export function loadPropertyManifest(path: string | URL = DEFAULT_MANIFEST_PATH): PropertyManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the HubSpot property manifest ${String(path)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = PropertyManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`the HubSpot property manifest ${String(path)} is invalid: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
