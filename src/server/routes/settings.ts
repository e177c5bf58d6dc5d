// GET /settings: the chosen connection's settings as a form.
import { ImportedCountsStore } from '../../sync/imported-counts.ts';
import { respond } from '../render.ts';
import { csrfToken } from '../security.ts';
import { sqlOf } from '../server-store.ts';
import { formFromSettings } from '../settings-form.ts';
import { connectionPicker } from '../views/parts.ts';
import { settingsPageView } from '../views/settings.ts';
import { ConnectionQuerySchema, defineRoute, pickConnection } from './route.ts';

export const settingsRoute = defineRoute({
  method: 'get',
  path: '/settings',
  validate: { query: ConnectionQuerySchema },
  async handler({ query }, { req, res, deps }) {
    const { connections, chosen } = await pickConnection(deps.store, query.connection);
    const imported = await new ImportedCountsStore(sqlOf(deps.store)).summary();
    const form = chosen === undefined ? null : formFromSettings(chosen.settings, deps.settingsDefaults, chosen.crm);
    respond(req, res, {
      title: 'Settings',
      current: '/settings',
      data: { connection: chosen?.id ?? null, settings: form, imported },
      body: () =>
        settingsPageView(
          connectionPicker('/settings', connections, chosen),
          chosen === undefined || form === null ? undefined : { connection: chosen, form },
          csrfToken(req),
          chosen === undefined ? [] : deps.defaultHandleMapping(chosen.crm),
          imported,
        ),
    });
  },
});
