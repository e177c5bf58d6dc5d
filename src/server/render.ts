// Answers a page or its JSON twin from the same route: `/api/...` or `Accept: application/json` gets JSON.
import type { Request, Response } from 'express';

import type { SafeHtml } from './html.ts';
import { layout } from './html.ts';
import { csrfToken, takeFlash, wantsJson } from './security.ts';

export function respond(
  req: Request,
  res: Response,
  page: { title: string; current: string; data: unknown; body: () => SafeHtml },
): void {
  if (wantsJson(req)) {
    res.json(page.data);
    return;
  }
  res.type('html').send(
    layout(
      {
        title: page.title,
        current: page.current,
        admin: req.user?.username,
        csrfToken: csrfToken(req),
        flash: takeFlash(req),
      },
      page.body(),
    ),
  );
}

/** After a form post: back to a page (browser) or a JSON answer (API). */
export function done(
  req: Request,
  res: Response,
  status: number,
  data: Record<string, unknown>,
  redirectTo: string,
): void {
  if (wantsJson(req)) res.status(status).json(data);
  else res.redirect(303, redirectTo);
}
