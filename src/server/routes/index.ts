// The one registration list of the admin UI's pages (each with its JSON twin) and API routes, in match order. Sign-in,
// sign-out (auth.ts) and the OAuth hand-offs (oauth.ts) are passport flows of their own.
import { connectionDisconnectRoute } from './connection-disconnect.ts';
import { connectionRunRoute } from './connection-run.ts';
import { connectionsRoute } from './connections.ts';
import { contactsRoute } from './contacts.ts';
import { dashboardRoute } from './dashboard.ts';
import { liftRoute } from './lift.ts';
import type { Route } from './route.ts';
import { runRoute } from './run.ts';
import { runRetryRoute } from './run-retry.ts';
import { runsRoute } from './runs.ts';
import { sessionRoute } from './session.ts';
import { settingsRoute } from './settings.ts';
import { settingsImportRoute } from './settings-import.ts';
import { settingsSubmitRoute } from './settings-submit.ts';

export const ROUTES: readonly Route[] = [
  sessionRoute,
  dashboardRoute,
  connectionsRoute,
  connectionRunRoute,
  connectionDisconnectRoute,
  runsRoute,
  runRoute,
  runRetryRoute,
  contactsRoute,
  liftRoute,
  settingsRoute,
  settingsSubmitRoute,
  settingsImportRoute,
];
