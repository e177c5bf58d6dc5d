// The `crm-influence` command.
import { runCli } from './program.ts';

const code = await runCli(process.argv);
// The command is done once its output is flushed: work a run abandoned (a network look-up still waiting on a rate
// limit's reset) must not keep the process alive.
process.stdout.write('', () => process.exit(code));
