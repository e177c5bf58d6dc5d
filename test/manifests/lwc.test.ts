// The Salesforce record card (LWC socialInfluenceCard): its jest suite run with Salesforce's own tooling
// (@salesforce/sfdx-lwc-jest: the LWC compiler and engine, the lightning/* wire adapter stubs), then each state it
// rendered laid out in headless Chromium with the real Lightning Design System stylesheet, the way a record page's
// sidebar holds it. Screenshots: test-output/lwc/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

import { DO_NOT_PROFILE_FIELD, OBJECT_TYPES, SALESFORCE_FIELDS } from '../../connectors/salesforce/field-map.ts';
import { TrendSchema } from '../../src/scoring/types.ts';
import { children, metadataRoot, texts, type XmlNode } from './metadata-schema.ts';
import { PERMISSION_SET_FILES } from './permission-sets.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SF = path.join(ROOT, 'manifests/salesforce');
const CARD = path.join(SF, 'force-app/main/default/lwc/socialInfluenceCard');
const OUT = path.join(ROOT, 'test-output/lwc');
const CHROMIUM = '/usr/bin/chromium';
/** A record page's right-hand column at 1280 px (Lightning's default two-thirds / one-third template). */
const SIDEBAR_WIDTH = 360;

interface JestReport {
  numTotalTests: number;
  numFailedTests: number;
  numPendingTests: number;
  success: boolean;
  testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

/** Runs sfdx-lwc-jest from the Salesforce DX project (it reads sfdx-project.json there), as `npm run test:lwc` does. */
async function runLwcJest(previewDir: string, reportFile: string): Promise<{ code: number | null; output: string }> {
  const bin = createRequire(import.meta.url).resolve('@salesforce/sfdx-lwc-jest/bin/sfdx-lwc-jest');
  const child = spawn(process.execPath, [bin, '--', '--ci', '--json', `--outputFile=${reportFile}`], {
    cwd: SF,
    // It starts jest with the `node` on PATH: make that this Node.
    env: {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
      LWC_PREVIEW_DIR: previewDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

interface FrameLayout {
  state: string;
  width: number;
  /** Elements whose right edge lies past the card's. */
  overflowing: number;
  background: string;
  borderRadius: string;
  tierBackground: string | null;
  scoreSize: string | null;
}

/** Run in the page (as a string: this file is typed for Node, without the DOM library). Returns FrameLayout[]. */
const MEASURE_FRAMES = `[...document.querySelectorAll('.frame')].map((frame) => {
  const card = frame.querySelector('.slds-card');
  const edge = card.getBoundingClientRect().right + 0.5;
  const style = getComputedStyle(card);
  const tier = frame.querySelector('[data-id="tier"]');
  const score = frame.querySelector('.score__value');
  return {
    state: frame.dataset.state,
    width: card.getBoundingClientRect().width,
    overflowing: [...card.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > edge).length,
    background: style.backgroundColor,
    borderRadius: style.borderRadius,
    tierBackground: tier ? getComputedStyle(tier).backgroundColor : null,
    scoreSize: score ? getComputedStyle(score).fontSize : null,
  };
})`;

function harnessPage(states: { name: string; markup: string }[]): string {
  const slds = createRequire(import.meta.url).resolve(
    '@salesforce-ux/design-system/assets/styles/salesforce-lightning-design-system.min.css',
  );
  const frames = states
    .map(
      ({ name, markup }) =>
        `<section class="frame" data-state="${name}"><p class="caption">${name}</p><div class="slot">${markup}</div></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>socialInfluenceCard states</title>
<link rel="stylesheet" href="${pathToFileURL(slds).href}">
<style>${readFileSync(path.join(CARD, 'socialInfluenceCard.css'), 'utf8')}</style>
<style>
  body { background: #f3f3f3; margin: 0; padding: 16px; }
  .grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
  .frame { width: ${SIDEBAR_WIDTH}px; }
  .caption { font: 12px monospace; color: #706e6b; margin-bottom: 4px; }
</style></head>
<body class="slds-scope"><div class="grid">
${frames}
</div></body></html>`;
}

const rootOf = (file: string): XmlNode => metadataRoot(readFileSync(file, 'utf8'));

describe('manifests/salesforce: the socialInfluenceCard package metadata', () => {
  const source = readFileSync(path.join(CARD, 'socialInfluenceCard.js'), 'utf8');
  /** The field API names the card asks getRecord for (its FIELDS table). */
  const cardFields = [.../const FIELDS = \{([^}]*)\}/.exec(source)![1]!.matchAll(/'(\w+__c)'/g)].map((m) => m[1]!);

  it('is exposed to Lightning App Builder for Contact and Lead record pages, on the project API version', () => {
    const bundle = rootOf(path.join(CARD, 'socialInfluenceCard.js-meta.xml'));
    const project = JSON.parse(readFileSync(path.join(SF, 'sfdx-project.json'), 'utf8')) as {
      sourceApiVersion: string;
    };
    expect(texts(bundle, 'isExposed')).to.deep.equal(['true']);
    expect(texts(bundle, 'apiVersion')).to.deep.equal([project.sourceApiVersion]);
    expect(texts(bundle, 'masterLabel')).to.deep.equal(['Social Influence Card']);
    expect(children(bundle, 'targets').flatMap((t) => texts(t, 'target'))).to.deep.equal(['lightning__RecordPage']);
    const configs = children(children(bundle, 'targetConfigs')[0], 'targetConfig');
    expect(configs.map((c) => (c as Record<string, string>)['@_targets'])).to.deep.equal(['lightning__RecordPage']);
    expect(children(configs[0], 'objects').flatMap((o) => texts(o, 'object'))).to.deep.equal([...OBJECT_TYPES]);
  });

  it('reads exactly the fields the connector writes plus the opt-out, each deployed on both objects and readable with the Viewer permission set', () => {
    expect([...cardFields].sort()).to.deep.equal([...Object.values(SALESFORCE_FIELDS), DO_NOT_PROFILE_FIELD].sort());
    const viewer = new Map(
      children(rootOf(path.join(SF, PERMISSION_SET_FILES.Social_Influence_Viewer!)), 'fieldPermissions').map((p) => [
        texts(p, 'field')[0]!,
        texts(p, 'readable')[0]!,
      ]),
    );
    for (const object of OBJECT_TYPES) {
      for (const field of cardFields) {
        const file = path.join(SF, `force-app/main/default/objects/${object}/fields/${field}.field-meta.xml`);
        expect(existsSync(file), file).to.equal(true);
        expect(viewer.get(`${object}.${field}`), `${object}.${field}`).to.equal('true');
      }
    }
  });

  it('has an arrow for every trend the model writes', () => {
    const arrows = /const TREND_ARROWS = \{([^}]*)\}/.exec(source)![1]!;
    for (const trend of TrendSchema.options) expect(arrows, trend).to.match(new RegExp(`\\b${trend}:`));
  });

  it('a Lightning record page for each object holds the card at the top of the sidebar', () => {
    for (const object of OBJECT_TYPES) {
      const page = rootOf(
        path.join(SF, `force-app/main/default/flexipages/Social_Influence_${object}_Record_Page.flexipage-meta.xml`),
      );
      expect(texts(page, 'type')).to.deep.equal(['RecordPage']);
      expect(texts(page, 'sobjectType')).to.deep.equal([object]);
      // The desktop template with a header, a main column and a sidebar (Lightning App Builder's "Header and Right Sidebar").
      expect(texts(children(page, 'template')[0], 'name')).to.deep.equal(['flexipage:recordHomeTemplateDesktop']);
      const regions = new Map(
        children(page, 'flexiPageRegions').map((r) => [
          texts(r, 'name')[0]!,
          children(r, 'itemInstances').flatMap((i) =>
            children(i, 'componentInstance').flatMap((c) => texts(c, 'componentName')),
          ),
        ]),
      );
      expect([...regions.keys()]).to.deep.equal(['header', 'main', 'sidebar']);
      expect(regions.get('sidebar')![0]).to.equal('socialInfluenceCard');
      expect(regions.get('main')).to.include('force:detailPanel');
    }
  });
});

describe('manifests/salesforce: the socialInfluenceCard LWC', function () {
  this.timeout(180_000);
  let work: string;
  let report: JestReport;
  let run: { code: number | null; output: string };
  let browser: Browser | undefined;

  before(async function () {
    work = mkdtempSync(path.join(tmpdir(), 'crm-influence-lwc-'));
    const reportFile = path.join(work, 'jest.json');
    run = await runLwcJest(path.join(work, 'preview'), reportFile);
    if (!existsSync(reportFile)) throw new Error(`sfdx-lwc-jest wrote no report (exit ${run.code}):\n${run.output}`);
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as JestReport;
  });

  after(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('its jest suite passes under sfdx-lwc-jest, every test run (none skipped), snapshots included', () => {
    const failed = report.testResults
      .flatMap((file) => file.assertionResults)
      .filter((test) => test.status !== 'passed')
      .map((test) => `${test.fullName}: ${test.status}\n${test.failureMessages.join('\n')}`);
    expect(failed, run.output).to.deep.equal([]);
    expect(report.numPendingTests, run.output).to.equal(0);
    expect(report.numTotalTests, run.output).to.be.at.least(15);
    expect(report.success, run.output).to.equal(true);
    expect(run.code).to.equal(0);
  });

  it('each state, laid out with the Lightning Design System in a record-page sidebar, fits and reads as intended', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (npm test's pretest installs it)`);
    const previews = path.join(work, 'preview');
    const states = readdirSync(previews)
      .filter((f) => f.endsWith('.html'))
      .sort()
      .map((f) => ({ name: f.replace(/\.html$/, ''), markup: readFileSync(path.join(previews, f), 'utf8') }));
    expect(states.map((s) => s.name)).to.include.members([
      'scored',
      'not-scored-yet',
      'unscored-no-profile',
      'opted-out',
      'no-access',
    ]);
    mkdirSync(OUT, { recursive: true });
    const harness = path.join(OUT, 'states.html');
    writeFileSync(harness, harnessPage(states));

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(pathToFileURL(harness).href);
    await page.screenshot({ path: path.join(OUT, 'states.png'), fullPage: true });
    for (const { name } of states) {
      await page.locator(`[data-state="${name}"] .slds-card`).screenshot({ path: path.join(OUT, `${name}.png`) });
    }

    const layout = await page.evaluate<FrameLayout[]>(MEASURE_FRAMES);
    for (const frame of layout) {
      // The Design System stylesheet applied (a white card with rounded corners), so the picture is the real look.
      expect(frame.background, frame.state).to.equal('rgb(255, 255, 255)');
      expect(frame.borderRadius, frame.state).not.to.equal('0px');
      expect(frame.width, frame.state).to.equal(SIDEBAR_WIDTH);
      expect(frame.overflowing, `${frame.state}: elements past the card's edge`).to.equal(0);
    }
    const scored = layout.find((f) => f.state === 'scored')!;
    expect(scored.tierBackground).to.equal('rgb(46, 132, 74)');
    expect(scored.scoreSize).to.equal('32px');
  });
});
