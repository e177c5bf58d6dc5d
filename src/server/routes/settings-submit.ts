// POST /settings: validates a connection's settings, then previews them (tiers re-counted from the stored scores and a
// dry run with them; nothing written to the CRM) or saves them.
import { z } from 'zod';

import type { RunReport } from '../../store/run-report.ts';
import { SyncAlreadyRunningError } from '../../sync/engine.ts';
import { scoringKeyOf } from '../../sync/fields.ts';
import { done, respond } from '../render.ts';
import { csrfToken, flash, HttpError } from '../security.ts';
import {
  formFromSettings,
  mappingText,
  problemsOf,
  SettingsFormSchema,
  settingsFromForm,
  TIER_LETTERS,
} from '../settings-form.ts';
import { previewTiers } from '../summary.ts';
import { previewSection, settingsInvalidView, settingsPreviewView } from '../views/settings.ts';
import { defineRoute } from './route.ts';

export const settingsSubmitRoute = defineRoute({
  method: 'post',
  path: '/settings',
  validate: {
    // The settings themselves are checked below: a refused form is shown again with its problems (422).
    body: z.looseObject({
      connection: z.string().min(1).max(200),
      action: z.enum(['preview', 'save']).default('preview'),
    }),
    invalid: { body: () => 'Say which connection (connection) and whether to preview or save (action).' },
  },
  async handler({ body }, { req, res, deps }) {
    const connection = await deps.store.getConnection(body.connection);
    if (connection === null) throw new HttpError(404, `No connection "${body.connection}".`);
    const defaultMapping = deps.defaultHandleMapping(connection.crm);
    const parsed = SettingsFormSchema.safeParse(body);
    const token = csrfToken(req);
    if (!parsed.success) {
      const problems = problemsOf(parsed.error);
      res.status(422);
      respond(req, res, {
        title: 'Settings',
        current: '/settings',
        data: { error: 'invalid settings', problems },
        body: () =>
          settingsInvalidView(
            problems,
            connection,
            formFromSettings(connection.settings, deps.settingsDefaults, connection.crm),
            token,
            defaultMapping,
          ),
      });
      return;
    }
    let next: Record<string, unknown>;
    try {
      next = settingsFromForm(parsed.data, connection.settings, connection.crm);
    } catch (error) {
      throw new HttpError(
        422,
        error instanceof z.ZodError ? problemsOf(error).join('; ') : 'The settings are not valid.',
      );
    }
    if (body.action === 'save') {
      await deps.store.saveConnection({ ...connection, settings: next });
      await deps.coordinator.refresh();
      const rescoring =
        scoringKeyOf('', connection.settings.scoring, connection.settings) !== scoringKeyOf('', next.scoring, next);
      flash(
        req,
        'ok',
        `Settings of ${connection.id} saved.${rescoring ? ' Scoring or field mapping changed: the next run reads and re-scores every contact (writing only those whose fields change).' : ''}`,
      );
      done(
        req,
        res,
        200,
        { saved: true, settings: formFromSettings(next, deps.settingsDefaults, connection.crm) },
        `/settings?connection=${encodeURIComponent(connection.id)}`,
      );
      return;
    }
    const summary = await deps.summaries.get(connection.id);
    const current = formFromSettings(connection.settings, deps.settingsDefaults, connection.crm);
    const { now: before, proposed: after } = previewTiers(
      summary,
      { A: current.tierA, B: current.tierB, C: current.tierC },
      { A: parsed.data.tierA, B: parsed.data.tierB, C: parsed.data.tierC },
    );
    const mappingChanged =
      parsed.data.fieldMapping !== undefined &&
      mappingText(parsed.data.fieldMapping) !== mappingText(current.fieldMapping ?? null);
    let report: RunReport | null = null;
    let runError: string | null = null;
    try {
      report = (await deps.coordinator.runAndWait(connection.id, { dryRun: true, settings: next })).report;
    } catch (error) {
      runError =
        error instanceof SyncAlreadyRunningError
          ? 'a run of this connection is going on; try again when it finishes'
          : 'the dry run could not start (see the server log)';
    }
    respond(req, res, {
      title: 'Settings preview',
      current: '/settings',
      data: {
        preview: {
          tiersNow: before,
          tiersWithSettings: after,
          tierLabels: Object.fromEntries(
            TIER_LETTERS.map((t) => [t, parsed.data[`tierLabel${t}`] ?? current[`tierLabel${t}`] ?? t]),
          ),
          fieldMapping: parsed.data.fieldMapping ?? current.fieldMapping ?? [],
          fieldMappingAppliesAfterSave: mappingChanged,
          dryRun: report,
        },
        settings: parsed.data,
        dryRunError: runError,
      },
      body: () =>
        settingsPreviewView(
          previewSection(before, after, parsed.data, mappingChanged, report, runError),
          connection,
          parsed.data,
          token,
          defaultMapping,
        ),
    });
  },
});
