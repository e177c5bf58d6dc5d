// Server-rendered HTML: a tagged template that escapes every interpolated value unless it is already SafeHtml.
// One layout for every page; no inline scripts or styles (the CSP forbids them), so behaviour lives in /static.

export class SafeHtml {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

type Interpolated = SafeHtml | string | number | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Trusted markup built by this module's callers (SVG drawn from numbers). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export interface LayoutOptions {
  title: string;
  /** Logged-in admin; the navigation is shown only then. */
  admin?: string | undefined;
  csrfToken?: string | undefined;
  /** Which navigation entry is the current page. */
  current?: string;
  flash?: { kind: 'ok' | 'error'; text: string } | undefined;
}

const NAV = [
  ['/', 'Dashboard'],
  ['/connections', 'Connections'],
  ['/runs', 'Runs'],
  ['/contacts', 'Contacts'],
  ['/settings', 'Settings'],
] as const;

export function layout(options: LayoutOptions, body: SafeHtml): string {
  const nav =
    options.admin === undefined
      ? html``
      : html`
    <nav aria-label="Main">
      <ul>${NAV.map(([href, label]) => html`<li><a href="${href}"${options.current === href ? raw(' aria-current="page"') : ''}>${label}</a></li>`)}</ul>
      <form method="post" action="/logout" class="logout">
        <input type="hidden" name="_csrf" value="${options.csrfToken ?? ''}">
        <button type="submit">Sign out ${options.admin}</button>
      </form>
    </nav>`;
  const flash =
    options.flash === undefined
      ? ''
      : html`<p class="flash flash-${options.flash.kind}" role="status">${options.flash.text}</p>`;
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · crm-influence</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">crm-influence</span>${nav}</header>
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${flash}
${body}
</main>
</body>
</html>`.value
  }`;
}

/** The hidden CSRF field every state-changing form carries. */
export function csrfField(token: string | undefined): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token ?? ''}">`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** An instant as admins read it everywhere in the UI: `2026-11-26 08:28:10 UTC`. */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC` : iso;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
