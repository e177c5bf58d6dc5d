// The Salesforce connector with the real jsforce against the sandbox org over HTTP.
import { generateKeyPairSync } from 'node:crypto';

import { expect } from 'chai';

import type { CrmContact } from '../../../src/crm/contract.ts';
import { CrmContactSchema } from '../../../src/crm/contract.ts';
import { BudgetReachedError, NeedsReauthError, SetupError } from '../../../src/crm/errors.ts';
import type { World } from './world.ts';
import { fieldsFor, makeWorld, orgIds, ORGS, readPages, rejection, staleBefore, updatesFor } from './world.ts';

const DAY = 86_400_000;

const readAll = (world: World, cursor: string | null = null, full = false, connector = world.connector) =>
  readPages(connector, cursor, full);

for (const [org, orgOptions] of Object.entries(ORGS))
  describe(`Salesforce connector (real jsforce against the sandbox, ${org} org)`, function () {
    this.timeout(30_000);
    const worlds: World[] = [];
    async function world(...[size, sandboxOptions, options]: Parameters<typeof makeWorld>): Promise<World> {
      const w = await makeWorld(size, { ...orgOptions, ...sandboxOptions }, options);
      worlds.push(w);
      return w;
    }
    after(async () => {
      await Promise.all(worlds.map((w) => w.sandbox.close()));
    });

    describe('read', () => {
      it('first run reads every Contact and Lead at ≤ ⌈N/2000⌉ + 1 read calls, valid contacts with handles and opt-outs', async () => {
        const w = await world(5000);
        const { contacts, cursor } = await readAll(w);
        const ids = orgIds(w.sandbox);
        expect(contacts).to.have.length(5000);
        expect(contacts.filter((c) => c.objectType === 'Contact').map((c) => c.id)).to.deep.equal(ids.Contact);
        expect(contacts.filter((c) => c.objectType === 'Lead').map((c) => c.id)).to.deep.equal(ids.Lead);
        for (const c of contacts) CrmContactSchema.parse(c);
        expect(contacts.some((c) => c.handles.some((h) => h.field === 'X_Handle__c' && h.network === 'x'))).to.equal(
          true,
        );
        expect(contacts.some((c) => c.handles.some((h) => h.network === 'any'))).to.equal(true);
        const optedOut = contacts.filter((c) => c.doNotProfile);
        expect(optedOut.length).to.be.greaterThan(0);
        const viaIndividual = optedOut.filter(
          (c) => w.sandbox.control.org.rowById(c.id.replace(/^(003|00Q)/, '0PK'))?.row.HasOptedOutProfiling === true,
        );
        expect(viaIndividual.length).to.be.greaterThan(0);
        expect(viaIndividual.length).to.be.lessThan(optedOut.length); // the rest via Influence_Do_Not_Profile__c
        expect(w.connector.apiUsage().calls.read).to.be.at.most(Math.ceil(5000 / 2000) + 1);
        expect(w.sandbox.counters.recordsRead).to.equal(5000);
        expect(JSON.parse(cursor!)).to.have.property('watermarks');
      });

      it("incremental: after our write-back only a person's edits come back (our own writes never do), at one read call", async () => {
        const w = await world(1200);
        const first = await readAll(w);
        const results = await w.connector.writeScores(updatesFor(first.contacts));
        expect(results.every((r) => r.ok)).to.equal(true);
        const [a, b, c] = [first.contacts[5]!, first.contacts[700]!, first.contacts[1100]!];
        w.sandbox.control.editRecord(a.id, { Title: 'CTO' });
        w.sandbox.control.editRecord(b.id, { X_Handle__c: '@someone_new' });
        w.sandbox.control.editRecord(c.id, { Influence_Tier__c: 'A' });
        const readsBefore = w.connector.apiUsage().calls.read;
        const second = await readAll(w, first.cursor);
        expect(second.contacts.map((x) => x.id).sort()).to.deep.equal([a.id, b.id, c.id].sort());
        expect(
          second.contacts.find((x) => x.id === b.id)!.handles.find((h) => h.field === 'X_Handle__c')!.value,
        ).to.equal('@someone_new');
        expect(second.contacts.find((x) => x.id === c.id)!.current.tier).to.equal('A');
        expect(w.connector.apiUsage().calls.read - readsBefore).to.equal(1);
        const third = await readAll(w, second.cursor);
        // The overlap re-reads edits of the last minute; nothing else.
        expect(third.contacts.every((x) => [a.id, b.id, c.id].includes(x.id))).to.equal(true);
      });

      it('reads contacts whose influence date is older than the refresh interval, and never-scored ones', async () => {
        const w = await world(800);
        const first = await readAll(w);
        const old = new Date(Date.now() - 30 * DAY).toISOString();
        const updates = first.contacts.map((c, k) => ({
          objectType: c.objectType,
          id: c.id,
          fields: fieldsFor(30, k < 10 ? old : new Date().toISOString()),
        }));
        await w.connector.writeScores(updates);
        const second = await readAll(w, first.cursor);
        const expected = first.contacts.slice(0, 10).map((c) => c.id);
        expect(second.contacts.map((c) => c.id).sort()).to.deep.equal(expected.sort());
      });

      it('re-reads given ids (failed records) and skips converted leads', async () => {
        const w = await world(600);
        const ids = orgIds(w.sandbox);
        const wanted = [ids.Contact[3]!, ids.Lead[2]!, ids.Lead[4]!];
        w.sandbox.control.convertLead(ids.Lead[4]!);
        const contacts: CrmContact[] = [];
        for await (const page of w.connector.readContacts(null, {
          full: false,
          staleBefore: staleBefore(),
          ids: wanted,
        }))
          contacts.push(...page.contacts);
        expect(contacts.map((c) => c.id).sort()).to.deep.equal([ids.Contact[3]!, ids.Lead[2]!].sort());
      });

      it('keeps SOQL injection in mapped values as data, and refuses malformed ids before sending', async () => {
        const w = await world(300);
        const ids = orgIds(w.sandbox);
        const evil = "x' OR Name LIKE '%\\' OR Id != null --";
        w.sandbox.control.editRecord(ids.Contact[1]!, { X_Handle__c: evil });
        const first = await readAll(w);
        expect(
          first.contacts.find((c) => c.id === ids.Contact[1])!.handles.find((h) => h.field === 'X_Handle__c')!.value,
        ).to.equal(evil);
        const error = await rejection(
          (async () => {
            for await (const _ of w.connector.readContacts(null, {
              full: false,
              staleBefore: staleBefore(),
              ids: ["003' OR Id != '"],
            })) {
              /* nothing */
            }
          })(),
        );
        expect(error.message).to.match(/not a Salesforce record id/);
        // The stale query places a datetime and the integration user's id: both escaped, both accepted.
        const second = await readAll(w, first.cursor);
        expect(second.contacts.length).to.be.greaterThan(0);
        expect(() =>
          w.reconnect({ handleFields: [{ field: "X_Handle__c FROM Contact WHERE Name = 'a'", network: 'x' }] }),
        ).to.throw(/field API name/);
      });
    });

    describe('write', () => {
      it('never sends more than 200 records per collection: 1,000 updates = one Composite call', async () => {
        const w = await world(1500);
        const { contacts } = await readAll(w);
        const before = w.connector.apiUsage().calls.write;
        const apiBefore = w.sandbox.counters.apiCalls;
        const results = await w.connector.writeScores(updatesFor(contacts.slice(0, 1000)));
        expect(results.map((r) => r.id)).to.deep.equal(contacts.slice(0, 1000).map((c) => c.id));
        expect(results.every((r) => r.ok)).to.equal(true);
        expect(w.connector.apiUsage().calls.write - before).to.equal(1);
        expect(w.sandbox.counters.apiCalls - apiBefore).to.equal(1);
        expect(w.sandbox.counters.largestBatch).to.equal(200);
        expect(w.sandbox.control.record(contacts[999]!.id)).to.include({
          Influence_Score__c: 40,
          Influence_Confidence__c: 'Medium',
          Influence_Reason_Codes__c: 'LARGE_REACH',
        });
      });

      it('uses Bulk API 2.0 above the threshold, with per-record failures from failedResults', async () => {
        const w = await world(2600);
        const { contacts } = await readAll(w);
        const updates = updatesFor(contacts.slice(0, 2100));
        updates[5] = { ...updates[5]!, fields: { ...updates[5]!.fields, topFactors: 'x'.repeat(40_000) } }; // truncated to 32,768, fine
        w.sandbox.control.faults.addRecordFault({
          code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          ids: [updates[7]!.id],
          message: 'Score must be reviewed',
        });
        const results = await w.connector.writeScores(updates);
        expect(w.sandbox.counters.calls.bulkIngest).to.be.greaterThan(0);
        expect(results).to.have.length(2100);
        expect(results.filter((r) => !r.ok).map((r) => r.id)).to.deep.equal([updates[7]!.id]);
        expect(results[7]).to.deep.include({ ok: false, code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', retryable: false });
        expect((w.sandbox.control.record(updates[5].id)!.Influence_Top_Factors__c as string).length).to.equal(32_768);
        expect(w.connector.apiUsage().calls.write).to.be.within(5, 20);
      });

      it('retries row locks with backoff in smaller batches; reports validation errors once; skips converted leads', async () => {
        const w = await world(900);
        const { contacts } = await readAll(w);
        const updates = updatesFor([
          ...contacts.filter((c) => c.objectType === 'Contact').slice(0, 399),
          contacts.find((c) => c.objectType === 'Lead')!,
        ]);
        const lead = updates[399]!;
        w.sandbox.control.convertLead(lead.id);
        w.sandbox.control.faults.addRecordFault({
          code: 'UNABLE_TO_LOCK_ROW',
          ids: [updates[0]!.id, updates[1]!.id],
          times: 2,
        });
        w.sandbox.control.faults.addRecordFault({ code: 'UNABLE_TO_LOCK_ROW', ids: [updates[2]!.id] });
        w.sandbox.control.faults.addRecordFault({
          code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          ids: [updates[3]!.id],
          fields: ['Influence_Score__c'],
        });
        const results = await w.connector.writeScores(updates);
        expect(results[0]).to.deep.equal({ id: updates[0]!.id, ok: true });
        expect(results[1]).to.deep.equal({ id: updates[1]!.id, ok: true });
        expect(results[2]).to.deep.include({ ok: false, code: 'UNABLE_TO_LOCK_ROW', retryable: true });
        expect(results[3]).to.deep.include({ ok: false, code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', retryable: false });
        expect(results.find((r) => r.id === lead.id)).to.deep.include({
          ok: false,
          code: 'CONVERTED_LEAD_SKIPPED',
          retryable: false,
        });
        expect(results.filter((r) => r.ok)).to.have.length(397);
        expect(w.sandbox.counters.recordsWritten).to.equal(397);
        // 1 call + 3 lock retries (the last only for the record locked forever).
        expect(w.connector.apiUsage().calls.write).to.equal(4);
      });

      it('stops with a SetupError naming the field when a field is deleted mid-run', async () => {
        const w = await world(500);
        const { contacts } = await readAll(w);
        w.sandbox.control.deleteField('Contact', 'Influence_Tier__c');
        const error = await rejection(
          w.connector.writeScores(updatesFor(contacts.filter((c) => c.objectType === 'Contact').slice(0, 10))),
        );
        expect(error).to.be.instanceOf(SetupError);
        expect(error.message).to.include('Contact.Influence_Tier__c').and.include('manifests/salesforce');
        const readError = await rejection(readAll(w, null, true));
        expect(readError).to.be.instanceOf(SetupError);
        expect(readError.message).to.include('Influence_Tier__c');
      });
    });

    describe('auth', () => {
      it('expired session mid-read → refresh → continues; the rotated refresh token is handed over', async () => {
        const w = await world(3000, { rotateRefreshTokens: true }, { queryBatchSize: 500 });
        const seen: string[] = [];
        let expired = false;
        for await (const page of w.connector.readContacts(null, { full: true, staleBefore: staleBefore() })) {
          seen.push(...page.contacts.map((c) => c.id));
          if (!expired) {
            w.sandbox.control.expireTokens();
            expired = true;
          }
        }
        expect(seen).to.have.length(3000);
        expect(w.sandbox.counters.refreshGrants).to.equal(1);
        expect(w.tokens).to.have.length(1);
        expect(w.tokens[0]!.refreshToken).to.equal(w.sandbox.control.refreshTokens()[0]);
        expect(w.tokens[0]!.refreshToken).to.not.equal(w.sandbox.env.SALESFORCE_REFRESH_TOKEN);
        // A later run with the persisted token refreshes fine; the first token is dead.
        w.sandbox.control.expireTokens();
        const later = w.reconnect({ refreshToken: w.tokens[0]!.refreshToken! });
        expect((await readAll(w, null, true, later)).contacts).to.have.length(3000);
      });

      it('invalid_grant → NeedsReauthError, one token request, then no more requests at all', async () => {
        const w = await world(300);
        w.sandbox.control.revokeRefreshTokens();
        w.sandbox.control.expireTokens();
        const error = await rejection(readAll(w));
        expect(error).to.be.instanceOf(NeedsReauthError);
        expect(error.message).to.include('invalid_grant');
        expect(w.sandbox.counters.calls.token).to.equal(1);
        const requests = w.sandbox.counters.requests;
        const again = await rejection(
          w.connector.writeScores([{ objectType: 'Contact', id: orgIds(w.sandbox).Contact[0]!, fields: fieldsFor(3) }]),
        );
        expect(again).to.be.instanceOf(NeedsReauthError);
        expect(w.sandbox.counters.requests).to.equal(requests);
      });

      it('a refresh loop (fresh tokens rejected) stops after the configured attempts', async () => {
        const w = await world(300, { accessTokenTtlSeconds: 0 }, { maxRefreshAttempts: 3 });
        w.sandbox.control.expireTokens();
        const error = await rejection(readAll(w));
        expect(error).to.be.instanceOf(NeedsReauthError);
        expect(w.sandbox.counters.calls.token).to.be.at.most(3);
      });

      it('JWT bearer flow (server-to-server): no stored token, a signed assertion gets one, expiry re-mints it', async () => {
        const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const w = await world(
          400,
          { jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
          {
            accessToken: undefined,
            refreshToken: undefined,
            clientSecret: undefined,
            jwt: {
              username: 'integration@example.com',
              privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            },
          },
        );
        expect((await readAll(w)).contacts).to.have.length(400);
        w.sandbox.control.expireTokens();
        expect((await readAll(w, null, true)).contacts).to.have.length(400);
        expect(w.sandbox.counters.calls.token).to.equal(2);
      });

      it('an access token without a refresh token: expiry → NeedsReauthError', async () => {
        const w = await world(300, {}, { refreshToken: undefined, clientId: undefined, clientSecret: undefined });
        w.sandbox.control.expireTokens();
        const error = await rejection(readAll(w));
        expect(error).to.be.instanceOf(NeedsReauthError);
      });
    });

    describe('transient failures', () => {
      it('retries a Composite write answered 503 or 429, or whose connection dropped (jsforce never retries POST)', async () => {
        const w = await world(400, {
          faults: { status5xx: 4, status429: 7, dropConnection: 11, pathPattern: /\/composite$/ },
        });
        const { contacts } = await readAll(w);
        const results: boolean[] = [];
        for (let k = 0; k < 8; k++)
          results.push(
            ...(await w.connector.writeScores(updatesFor(contacts.slice(k * 10, k * 10 + 10), 10 + k))).map(
              (r) => r.ok,
            ),
          );
        expect(results.every(Boolean)).to.equal(true);
        const counters = w.sandbox.counters;
        expect(counters.status5xx + counters.status429 + counters.dropped).to.be.greaterThan(2);
        expect(w.sandbox.control.record(contacts[79]!.id)!.Influence_Score__c).to.equal(17);
      });
    });

    describe('budget and setup', () => {
      it('stops at the quota floor with BudgetReachedError, and on REQUEST_LIMIT_EXCEEDED', async () => {
        const w = await world(300, { apiQuota: 1000, apiUsage: 790 });
        const { contacts } = await readAll(w);
        w.sandbox.control.setApiUsage(800); // the org's other integrations spend too
        expect((await w.connector.writeScores(updatesFor(contacts.slice(0, 5)))).every((r) => r.ok)).to.equal(true);
        expect(w.connector.apiUsage().budget).to.deep.equal({ limit: 1000, remaining: 199 });
        const error = await rejection(w.connector.writeScores(updatesFor(contacts.slice(0, 5))));
        expect(error).to.be.instanceOf(BudgetReachedError);
        expect(error.message).to.match(/of 1000 requests left \(floor 20%\)/);
        const noFloor = w.reconnect({ budgetFloor: 0 });
        w.sandbox.control.setApiUsage(1000);
        const exhausted = await rejection(readAll(w, null, true, noFloor));
        expect(exhausted).to.be.instanceOf(BudgetReachedError);
      });

      it('checkSetup: ready org passes without /limits (the budget from Sforce-Limit-Info); missing and read-only fields are named with the fix', async () => {
        const ready = await world(100);
        const ok = await ready.connector.checkSetup();
        expect(ok.problems).to.deep.equal([]);
        expect(ok.ok).to.equal(true);
        expect(ok.fields).to.have.length(16);
        expect(ready.sandbox.counters.calls.limits).to.equal(undefined);
        expect(ok.budget).to.deep.equal({ limit: 100000, remaining: 100000 - ready.sandbox.counters.apiCalls });
        expect(ok.visibility!.map((v) => v.objectType)).to.deep.equal(['Contact', 'Lead']);
        expect(ok.visibility!.reduce((n, v) => n + v.visible, 0)).to.equal(100);
        if (org === 'strict') {
          // No View Setup and Configuration: the totals are unknown, said as a note, not a failure.
          expect(ok.notes!.map((n) => n.code)).to.deep.equal(['visibility_unchecked']);
          expect(ok.notes![0]!.message).to.match(/can see \d+ contacts and \d+ leads/);
        } else {
          expect(ok.visibility!.every((v) => v.total === v.visible)).to.equal(true);
        }
        const bare = await world(100, { withCustomFields: false });
        const missing = await bare.connector.checkSetup();
        expect(missing.ok).to.equal(false);
        expect(missing.problems.map((p) => p.message)).to.include(
          'Lead.Influence_Score__c does not exist or is not visible to the integration user',
        );
        expect(missing.problems[0]!.fix).to.include('Social_Influence_Integration');
        ready.sandbox.control.setFieldUpdateable('Contact', 'Influence_Score__c', false);
        const fls = await ready.connector.checkSetup();
        expect(fls.fields.find((f) => f.objectType === 'Contact' && f.field === 'score')).to.deep.include({
          exists: true,
          writable: false,
        });
        expect(fls.problems.map((p) => p.code)).to.deep.equal(['field_not_writable']);
      });
    });
  });
