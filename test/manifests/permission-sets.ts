// The permission sets shipped in manifests/salesforce, read into the grants the strict sandbox org enforces: the
// integration user of a strict org holds exactly what the admin deploys and assigns, so a field the connector
// reads without a grant fails there as it fails in a real org.
import fs from 'node:fs';
import path from 'node:path';

import type { IntegrationPermissions } from '../../src/sandbox/salesforce/index.ts';
import { parseMetadataXml, type XmlNode } from './metadata-schema.ts';

const SF = path.resolve(import.meta.dirname, '../../manifests/salesforce');

/** Where each shipped permission set lives (the optional Individual one is a package directory of its own). */
export const PERMISSION_SET_FILES: Record<string, string> = {
  Social_Influence_Integration:
    'force-app/main/default/permissionsets/Social_Influence_Integration.permissionset-meta.xml',
  Social_Influence_Viewer: 'force-app/main/default/permissionsets/Social_Influence_Viewer.permissionset-meta.xml',
  Social_Influence_Individual:
    'individual-app/main/default/permissionsets/Social_Influence_Individual.permissionset-meta.xml',
};

function list(node: XmlNode, name: string): XmlNode[] {
  if (typeof node === 'string') return [];
  const raw = node[name];
  return Array.isArray(raw) ? raw : [];
}

function text(node: XmlNode, name: string): string | undefined {
  const value = list(node, name)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The union of the grants of these permission sets, as the strict sandbox org takes them. */
export function permissionsFrom(names: readonly string[]): IntegrationPermissions {
  const userPermissions = new Set<string>();
  const objects: Record<string, IntegrationPermissions['objects'][string]> = {};
  const fields: Record<string, IntegrationPermissions['fields'][string]> = {};
  for (const name of names) {
    const file = PERMISSION_SET_FILES[name];
    if (!file) throw new Error(`no shipped permission set ${name}`);
    const root = parseMetadataXml(fs.readFileSync(path.join(SF, file), 'utf8')).PermissionSet![0]!;
    for (const p of list(root, 'userPermissions'))
      if (text(p, 'enabled') === 'true') userPermissions.add(text(p, 'name')!);
    for (const p of list(root, 'objectPermissions')) {
      const object = text(p, 'object')!;
      const was = objects[object] ?? { read: false, edit: false, viewAll: false, modifyAll: false };
      objects[object] = {
        read: was.read || text(p, 'allowRead') === 'true',
        edit: was.edit || text(p, 'allowEdit') === 'true',
        viewAll: was.viewAll || text(p, 'viewAllRecords') === 'true',
        modifyAll: was.modifyAll || text(p, 'modifyAllRecords') === 'true',
      };
    }
    for (const p of list(root, 'fieldPermissions')) {
      const field = text(p, 'field')!;
      const was = fields[field] ?? { readable: false, editable: false };
      fields[field] = {
        readable: was.readable || text(p, 'readable') === 'true',
        editable: was.editable || text(p, 'editable') === 'true',
      };
    }
  }
  return { userPermissions: [...userPermissions], objects, fields };
}
