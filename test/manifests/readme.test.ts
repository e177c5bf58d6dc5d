// The README "Install" section states what the manifests contain; keep the two from drifting apart.
import fs from 'node:fs';
import path from 'node:path';

import { ComponentSet } from '@salesforce/source-deploy-retrieve';
import { expect } from 'chai';

const ROOT = path.resolve(import.meta.dirname, '../..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('## Install');
const next = readme.indexOf('\n## ', start + 1);
// Whitespace folded: the README wraps lines anywhere.
const install = (start < 0 ? '' : readme.slice(start, next < 0 ? undefined : next)).replace(/\s+/g, ' ');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');

describe('README Install section', () => {
  it('exists and counts the components the Salesforce deploy steps actually deploy', () => {
    expect(install).to.include('### Salesforce').and.to.include('### HubSpot');
    const forceApp = ComponentSet.fromSource(path.join(ROOT, 'manifests/salesforce/force-app'))
      .getSourceComponents()
      .toArray();
    const oauthApp = ComponentSet.fromSource(path.join(ROOT, 'manifests/salesforce/oauth-app'))
      .getSourceComponents()
      .toArray();
    expect(install).to.include(`\`Status: Succeeded\`, ${forceApp.length} components`);
    expect(install).to.include(`\`Status: Succeeded\`, ${oauthApp.length} components`);
    const contactFields = forceApp.filter(
      (c) => c.type.name === 'CustomField' && c.fullName.startsWith('Contact.'),
    ).length;
    expect(install).to.include(`${contactFields} fields each on Contact and Lead`);
  });

  it('names the placeholder and the callback and webhook paths the manifests use', () => {
    const placeholder = 'https://crm-influence.example.com';
    expect(install).to.include(placeholder);
    expect(
      read(
        'manifests/salesforce/oauth-app/main/default/extlClntAppGlobalOauthSets/Social_Influence_glbloauth.ecaGlblOauth-meta.xml',
      ),
    ).to.include(`<callbackUrl>${placeholder}/oauth/salesforce/callback</callbackUrl>`);
    expect(read('manifests/hubspot/src/app/app-hsmeta.json')).to.include(`"${placeholder}/oauth/hubspot/callback"`);
    expect(read('manifests/hubspot/src/app/webhooks/webhooks-hsmeta.json')).to.include(
      `"${placeholder}/webhooks/hubspot"`,
    );
    for (const p of ['/oauth/salesforce/callback', '/oauth/hubspot/callback', '/webhooks/hubspot'])
      expect(install).to.include(p);
  });

  it('quotes the permission sets and the fields check/install commands that exist', () => {
    for (const name of ['Social_Influence_Integration', 'Social_Influence_Viewer']) {
      expect(install).to.include(name);
      expect(
        fs.existsSync(
          path.join(ROOT, `manifests/salesforce/force-app/main/default/permissionsets/${name}.permissionset-meta.xml`),
        ),
      ).to.equal(true);
    }
    expect(install).to.include('crm-influence fields install --crm hubspot');
    expect(install).to.include('crm-influence fields check --crm salesforce');
  });
});
