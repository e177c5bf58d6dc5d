#!/usr/bin/env node
// Runs the TypeScript CLI on Node's own type stripping (erasable syntax only; no build step, no tsx). Node refuses to
// strip files under node_modules, which is where an installed package lives, so this package's own .ts files are
// stripped here by the same function Node uses (module.stripTypeScriptTypes).
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import process from 'node:process';
import { URL } from 'node:url';

const PACKAGE_ROOT = new URL('../', import.meta.url).href;

/** Node's stripper announces itself as experimental once; that notice is noise on a CLI's stderr. */
function strip(source) {
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (!text.startsWith('stripTypeScriptTypes')) emitWarning.call(process, warning, ...rest);
  };
  try {
    return stripTypeScriptTypes(source);
  } finally {
    process.emitWarning = emitWarning;
  }
}

registerHooks({
  load(url, context, nextLoad) {
    if (
      !url.startsWith(PACKAGE_ROOT) ||
      !url.endsWith('.ts') ||
      url.slice(PACKAGE_ROOT.length).includes('node_modules/')
    ) {
      return nextLoad(url, context);
    }
    const { source } = nextLoad(url, { ...context, format: 'module' });
    return { format: 'module', source: strip(String(source)), shortCircuit: true };
  },
});

await import('../src/cli/main.ts');
