// The card as Lightning renders it, with the wire adapters fed the UI API's answers (getRecord: a record whose
// fields the user may not read are absent; getPicklistValues: the reason-code picklist as the package deploys it).
import SocialInfluenceCard from 'c/socialInfluenceCard';
import fs from 'fs';
import { getPicklistValues } from 'lightning/uiObjectInfoApi';
import { getRecord } from 'lightning/uiRecordApi';
import { createElement } from 'lwc';
import path from 'path';

import SCORED_CONTACT from './data/scoredContact.json';

/** The reason-code picklist as getPicklistValues answers it, built from the field the package deploys. */
function reasonCodePicklist() {
  const xml = fs.readFileSync(
    path.join(__dirname, '../../../objects/Contact/fields/Influence_Reason_Codes__c.field-meta.xml'),
    'utf8',
  );
  const values = [
    ...xml.matchAll(/<fullName>(\w+)<\/fullName>\s*<default>false<\/default>\s*<label>([^<]+)<\/label>/g),
  ];
  return {
    controllerValues: {},
    defaultValue: null,
    values: values.map(([, value, label]) => ({ attributes: null, label, validFor: [], value })),
  };
}

/** A copy of the scored contact with some fields changed (null clears) or removed (undefined: no read access). */
function contactWith(changes) {
  const record = JSON.parse(JSON.stringify(SCORED_CONTACT));
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete record.fields[name];
    else record.fields[name] = value;
  }
  return record;
}
const value = (v, displayValue = null) => ({ displayValue, value: v });

function mount(objectApiName = 'Contact') {
  const element = createElement('c-social-influence-card', { is: SocialInfluenceCard });
  element.recordId = SCORED_CONTACT.id;
  element.objectApiName = objectApiName;
  document.body.appendChild(element);
  return element;
}

/** Rendering is asynchronous: wait for the re-render a wire emission caused. */
const flush = () => Promise.resolve().then(() => Promise.resolve());

const byId = (element, id) => element.shadowRoot.querySelector(`[data-id="${id}"]`);
const text = (element, id) => byId(element, id)?.textContent.replace(/\s+/g, ' ').trim();

/** With LWC_PREVIEW_DIR set, each state's markup is kept for the browser harness (test/manifests/lwc.test.ts). */
function preview(element, name) {
  const dir = process.env.LWC_PREVIEW_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.html`), element.shadowRoot.innerHTML);
}

afterEach(() => {
  while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
  jest.clearAllMocks();
});

describe('c-social-influence-card', () => {
  it('asks for every influence field and the Individual opt-out as optional fields of the page object', async () => {
    mount('Lead');
    await flush();
    const config = getRecord.getLastConfig();
    expect(config.recordId).toBe(SCORED_CONTACT.id);
    expect(config.fields).toBeUndefined();
    expect(config.optionalFields.sort()).toEqual(
      [
        'Lead.Influence_Confidence__c',
        'Lead.Influence_Do_Not_Profile__c',
        'Lead.Influence_Org_Percentile__c',
        'Lead.Influence_Reason_Codes__c',
        'Lead.Influence_Score__c',
        'Lead.Influence_Scored_At__c',
        'Lead.Influence_Tier__c',
        'Lead.Influence_Top_Factors__c',
        'Lead.Influence_Trend__c',
        'Lead.Individual.HasOptedOutProfiling',
      ].sort(),
    );
  });

  it('says it is loading until the record arrives', async () => {
    const element = mount();
    await flush();
    expect(text(element, 'loading')).toBe('Loading…');
  });

  it('shows score, tier badge, trend arrow, confidence, rank, the factors as a list, notes in words and Scored at', async () => {
    const element = mount();
    getRecord.emit(SCORED_CONTACT);
    await flush();
    expect(getPicklistValues.getLastConfig()).toEqual({
      recordTypeId: '012000000000000AAA',
      fieldApiName: 'Contact.Influence_Reason_Codes__c',
    });
    getPicklistValues.emit(reasonCodePicklist());
    await flush();
    expect(text(element, 'score')).toBe('72/100');
    expect(text(element, 'tier')).toBe('Tier A');
    expect(byId(element, 'tier').className).toBe('tier tier_a');
    expect(text(element, 'trend')).toBe('↑ Rising');
    expect(text(element, 'confidence')).toBe('High confidence');
    expect(text(element, 'percentile')).toBe('Higher than 91% of the people scored in your org');
    const factors = [...byId(element, 'factors').querySelectorAll('li')].map((li) => [
      li.querySelector('.points').textContent,
      li.querySelector('.factor__text').textContent,
    ]);
    expect(factors).toEqual([
      ['+14', 'Bluesky: 42 weighted reactions on a typical post (20 posts, 90 days)'],
      ['+9', 'GitHub: 1,840 followers, 3,200 stars on own repositories'],
      ['−3', 'Mastodon: few recent posts (2 in 90 days)'],
    ]);
    expect(byId(element, 'factors').querySelectorAll('.points_negative')).toHaveLength(1);
    expect([...byId(element, 'reasons').querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'Large reach',
      'High engagement',
      'Stale data',
    ]);
    expect(text(element, 'scored-at')).toBe('Scored at 6/17/2025, 3:17 AM');
    expect(element.shadowRoot.querySelector('.slds-card__body')).toMatchSnapshot();
    preview(element, 'scored');
  });

  it('shows the codes themselves until (or unless) the picklist labels arrive, and a code the picklist lacks as is', async () => {
    const element = mount();
    getRecord.emit(
      contactWith({ Influence_Reason_Codes__c: value('LARGE_REACH;SOME_FUTURE_CODE', 'Large reach;SOME_FUTURE_CODE') }),
    );
    await flush();
    const reasons = () => [...byId(element, 'reasons').querySelectorAll('li')].map((li) => li.textContent);
    expect(reasons()).toEqual(['LARGE_REACH', 'SOME_FUTURE_CODE']);
    getPicklistValues.emit(reasonCodePicklist());
    await flush();
    expect(reasons()).toEqual(['Large reach', 'SOME_FUTURE_CODE']);
  });

  it('shows the tier and trend labels the admin gave the picklist values', async () => {
    const element = mount();
    getRecord.emit(
      contactWith({
        Influence_Tier__c: value('B', 'Rising star'),
        Influence_Trend__c: value('Falling', 'Falling'),
        Influence_Confidence__c: value('Low', 'Low'),
      }),
    );
    await flush();
    expect(text(element, 'tier')).toBe('Rising star');
    expect(byId(element, 'tier').className).toBe('tier tier_b');
    expect(text(element, 'trend')).toBe('↓ Falling');
    expect(byId(element, 'confidence').title).toBe('little data or unverified accounts: a hint only');
    expect(byId(element, 'confidence').className).toContain('confidence_low');
    getPicklistValues.emit(reasonCodePicklist());
    await flush();
    preview(element, 'scored-low-falling');
  });

  it('a contact never scored says so, without a score', async () => {
    const element = mount();
    const cleared = Object.fromEntries(
      Object.keys(SCORED_CONTACT.fields)
        .filter((name) => name.startsWith('Influence_') && name !== 'Influence_Do_Not_Profile__c')
        .map((name) => [name, value(null)]),
    );
    getRecord.emit(contactWith(cleared));
    await flush();
    expect(text(element, 'state')).toBe('Not scored');
    expect(text(element, 'not-scored')).toBe('The score appears after the next sync.');
    expect(byId(element, 'score')).toBeNull();
    expect(byId(element, 'scored-at')).toBeNull();
    preview(element, 'not-scored-yet');
  });

  it('an Unscored contact without a social profile says what would score it, and when it was checked', async () => {
    const element = mount();
    getRecord.emit(
      contactWith({
        Influence_Score__c: value(null),
        Influence_Tier__c: value('Unscored', 'Unscored'),
        Influence_Confidence__c: value(null),
        Influence_Trend__c: value(null),
        Influence_Top_Factors__c: value(null),
        Influence_Org_Percentile__c: value(null),
        Influence_Reason_Codes__c: value('NO_IDENTITY', 'No social profile'),
      }),
    );
    await flush();
    expect(text(element, 'not-scored')).toBe(
      'No public social profile was found for this person. Add a social handle and the next sync scores it.',
    );
    expect(text(element, 'scored-at')).toBe('Checked 6/17/2025, 3:17 AM');
    preview(element, 'unscored-no-profile');
  });

  it('an Unscored contact with a profile but too little data says that instead', async () => {
    const element = mount();
    getRecord.emit(
      contactWith({
        Influence_Score__c: value(null),
        Influence_Tier__c: value('Unscored', 'Unscored'),
        Influence_Reason_Codes__c: value('FEW_RECENT_POSTS', 'Few recent posts'),
      }),
    );
    await flush();
    expect(text(element, 'not-scored')).toBe('Not enough public social data to score this person.');
  });

  it('opted out (Influence Do Not Profile): says so and shows none of the values still on the record', async () => {
    const element = mount();
    getRecord.emit(contactWith({ Influence_Do_Not_Profile__c: value(true) }));
    await flush();
    expect(text(element, 'opted-out')).toBe(
      'This person opted out of social profiling: no score is kept, and the next sync clears any left.',
    );
    expect(text(element, 'state')).toBe('Opted out');
    expect(byId(element, 'score')).toBeNull();
    expect(byId(element, 'factors')).toBeNull();
    preview(element, 'opted-out');
  });

  it("opted out on the Individual record (Don't Profile) counts too", async () => {
    const element = mount();
    const record = contactWith({});
    record.fields.Individual.value.fields.HasOptedOutProfiling.value = true;
    getRecord.emit(record);
    await flush();
    expect(byId(element, 'opted-out')).not.toBeNull();
    expect(byId(element, 'score')).toBeNull();
  });

  it('no Individual (Data Protection and Privacy off, or no linked Individual): the checkbox alone decides', async () => {
    const element = mount();
    getRecord.emit(contactWith({ Individual: undefined, IndividualId: undefined }));
    await flush();
    expect(text(element, 'score')).toBe('72/100');
    getRecord.emit(contactWith({ Individual: value(null), IndividualId: value(null) }));
    await flush();
    expect(text(element, 'score')).toBe('72/100');
  });

  it('field-level security: without read access to score and tier it says whom to ask, and is no error', async () => {
    const element = mount();
    const hidden = Object.fromEntries(
      Object.keys(SCORED_CONTACT.fields)
        .filter((name) => name.startsWith('Influence_') && name !== 'Influence_Do_Not_Profile__c')
        .map((name) => [name, undefined]),
    );
    getRecord.emit(contactWith(hidden));
    await flush();
    expect(text(element, 'no-access')).toMatch(/Social Influence Viewer permission set/);
    expect(byId(element, 'error')).toBeNull();
    preview(element, 'no-access');
  });

  it('field-level security: a field the user may not read is left out, the rest is shown', async () => {
    const element = mount();
    getRecord.emit(
      contactWith({
        Influence_Top_Factors__c: undefined,
        Influence_Reason_Codes__c: undefined,
        Influence_Org_Percentile__c: undefined,
        Influence_Trend__c: undefined,
      }),
    );
    await flush();
    expect(text(element, 'score')).toBe('72/100');
    expect(text(element, 'tier')).toBe('Tier A');
    expect(byId(element, 'factors')).toBeNull();
    expect(byId(element, 'reasons')).toBeNull();
    expect(byId(element, 'percentile')).toBeNull();
    expect(byId(element, 'trend')).toBeNull();
    // No reason-code field on the record: the picklist labels are not asked for.
    expect(getPicklistValues.getLastConfig().fieldApiName).toBeUndefined();
  });

  it("an error reading the record (no access to it) shows the UI API's message", async () => {
    const element = mount();
    getRecord.error([{ errorCode: 'INSUFFICIENT_ACCESS', message: "You don't have access to this record." }], 403);
    await flush();
    expect(text(element, 'error')).toBe("You don't have access to this record.");
    expect(byId(element, 'score')).toBeNull();
  });

  it('factor text from the CRM is shown as text, never as markup', async () => {
    const element = mount();
    getRecord.emit(contactWith({ Influence_Top_Factors__c: value('+5 <img src=x onerror=alert(1)> bold claim') }));
    await flush();
    const item = byId(element, 'factors').querySelector('li');
    expect(item.querySelector('img')).toBeNull();
    expect(item.querySelector('.factor__text').textContent).toBe('<img src=x onerror=alert(1)> bold claim');
  });
});
