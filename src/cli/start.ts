// `npm start`: the main job. With a CRM's credentials in the environment it syncs that CRM (now, then on
// CRM_INFLUENCE_SCHEDULE); without any it runs the built-in sandbox demo. Extra arguments go to that command.
import { loadConfig } from '../config.ts';
import { mainJobArgs } from './main-job.ts';
import { runCli } from './program.ts';

async function main(): Promise<number> {
  let args: string[];
  try {
    args = mainJobArgs(loadConfig(), process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`crm-influence: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  process.stderr.write(`crm-influence ${args.join(' ')}\n`);
  return runCli([process.argv[0] ?? 'node', 'crm-influence', ...args]);
}

const code = await main();
// As `crm-influence` does (main.ts): done once the output is flushed, whatever a stopped run left waiting.
process.stdout.write('', () => process.exit(code));
