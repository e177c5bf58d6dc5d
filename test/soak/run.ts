// `npm run soak [-- --contacts 5000 --kills 20 --sigterms 2 --stores sqlite,postgres --seed soak]`: the soak of
// issue 18 (soak.ts) on each store in turn, on 127.0.0.1 only. Prints one line per store; exits 1 when any store
// lost a record, wrote one twice, or let a request reach the trap behind the hostile redirect.
import { parseArgs } from 'node:util';

import { z } from 'zod';

import { describeIssues } from '../../src/zod-issues.ts';
import { describeSoak, soakOneStore } from './soak.ts';

const FlagsSchema = z.object({
  contacts: z.coerce.number().int().min(100, 'must be at least 100').max(1_000_000).default(100_000),
  kills: z.coerce.number().int().min(0).max(200).default(20),
  sigterms: z.coerce.number().int().min(0).max(20).default(2),
  stores: z
    .string()
    .default('sqlite,postgres')
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(['sqlite', 'postgres'])).min(1)),
  seed: z.string().min(1).default('soak'),
  verbose: z.boolean().default(false),
});

const { values } = parseArgs({
  options: {
    contacts: { type: 'string' },
    kills: { type: 'string' },
    sigterms: { type: 'string' },
    stores: { type: 'string' },
    seed: { type: 'string' },
    verbose: { type: 'boolean' },
  },
});
const flags = FlagsSchema.safeParse(values);
if (!flags.success) {
  console.error(`npm run soak: ${describeIssues(flags.error, { field: (p) => `--${p.join('.')}` })}`);
  process.exit(2);
}
const { stores, verbose, ...options } = flags.data;
let failed = false;
for (const store of stores) {
  const result = await soakOneStore(store, {
    ...options,
    log: (line) => {
      if (verbose) console.error(line);
    },
  });
  console.log(describeSoak(result));
  for (const problem of result.problems) console.log(`  problem: ${problem}`);
  for (const example of result.examples) console.log(`  e.g. ${example}`);
  if (result.lost > 0 || result.twice > 0 || result.inward > 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
